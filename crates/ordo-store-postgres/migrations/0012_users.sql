-- People who sign in to the console. A login is unique across tenants so the sign-in
-- form needs no tenant; the password is kept only as an argon2 PHC string.
CREATE TABLE users (
    id             UUID        NOT NULL PRIMARY KEY,
    tenant_id      TEXT        NOT NULL COLLATE "C",
    login          TEXT        NOT NULL UNIQUE COLLATE "C",
    name           TEXT        NOT NULL,
    role           TEXT        NOT NULL,
    language       TEXT        NOT NULL,
    password_hash  TEXT        NOT NULL,
    disabled       BOOLEAN     NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX users_by_tenant ON users (tenant_id, login);

-- Signed-in browsers, under the SHA-256 of the cookie's secret.
CREATE TABLE sessions (
    token_hash  TEXT        NOT NULL PRIMARY KEY COLLATE "C",
    user_id     UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf        TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    seen_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Filters a user saved under a name, per screen (the URL query string).
CREATE TABLE saved_views (
    tenant_id  TEXT        NOT NULL COLLATE "C",
    user_id    UUID        NOT NULL,
    screen     TEXT        NOT NULL,
    name       TEXT        NOT NULL,
    query      TEXT        NOT NULL,
    saved_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, user_id, screen, name)
);

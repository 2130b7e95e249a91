-- A tenant's channel accounts and warehouse connectors. `settings` is JSON without the
-- credentials; `sealed` holds those, encrypted by the application (key id, nonce and
-- ciphertext), so the database never holds them in clear. `id` is global: webhook and
-- callback URLs name it. `version` is bumped by every change, so nodes see what changed.
CREATE TABLE connections (
    tenant_id       TEXT    NOT NULL,
    id              BLOB    NOT NULL UNIQUE,
    kind            TEXT    NOT NULL,
    code            TEXT    NOT NULL,
    settings        TEXT    NOT NULL,
    sealed          TEXT,
    fingerprint     TEXT,
    secrets_set_at  INTEGER,
    paused          INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    source          TEXT    NOT NULL,
    updated_by      TEXT    NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind, code)
) STRICT;

-- Leases: which node does a piece of background work until when. An expired lease is
-- kept (with who held it) until the next taker replaces it.
CREATE TABLE leases (
    name             TEXT    NOT NULL PRIMARY KEY,
    tenant_id        TEXT,
    holder           TEXT    NOT NULL,
    previous_holder  TEXT,
    acquired_at      INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL
) STRICT;

-- Node heartbeats, for the cluster view.
CREATE TABLE nodes (
    id          TEXT    NOT NULL PRIMARY KEY,
    addr        TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    seen_at     INTEGER NOT NULL
) STRICT;

-- A tenant's channel accounts and warehouse connectors. `settings` is the connection
-- without its credentials; `sealed` holds those, encrypted by the application (key id,
-- nonce and ciphertext), so the database never holds them in clear. `id` is global:
-- webhook and callback URLs name it. `version` is bumped by every change, so nodes see
-- what changed.
CREATE TABLE connections (
    tenant_id       TEXT        NOT NULL COLLATE "C",
    id              UUID        NOT NULL UNIQUE,
    kind            TEXT        NOT NULL,
    code            TEXT        NOT NULL COLLATE "C",
    settings        JSONB       NOT NULL,
    sealed          TEXT        NULL,
    fingerprint     TEXT        NULL,
    secrets_set_at  TIMESTAMPTZ NULL,
    paused          BOOLEAN     NOT NULL,
    version         BIGINT      NOT NULL,
    source          TEXT        NOT NULL,
    updated_by      TEXT        NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, kind, code)
);

-- Leases: which node does a piece of background work until when. An expired lease is
-- kept (with who held it) until the next taker replaces it.
CREATE TABLE leases (
    name             TEXT        NOT NULL COLLATE "C" PRIMARY KEY,
    tenant_id        TEXT        NULL,
    holder           TEXT        NOT NULL,
    previous_holder  TEXT        NULL,
    acquired_at      TIMESTAMPTZ NOT NULL,
    expires_at       TIMESTAMPTZ NOT NULL
);

-- Node heartbeats, for the cluster view.
CREATE TABLE nodes (
    id          TEXT        NOT NULL PRIMARY KEY,
    addr        TEXT        NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    seen_at     TIMESTAMPTZ NOT NULL
);

-- Ordo foundation schema (SQLite). Every table starts its key with tenant_id, the same
-- shape as the PostgreSQL schema, so tenant scoping reads the same in both stores.
-- Times are INTEGER microseconds since the Unix epoch (UTC): they sort and compare exactly,
-- unlike text timestamps whose fractional digits vary.
-- UUIDs are 16-byte BLOBs.

CREATE TABLE tenants (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE api_tokens (
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id),
    id          BLOB    NOT NULL,
    role        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    token_hash  TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE TABLE orders (
    tenant_id       TEXT    NOT NULL,
    id              BLOB    NOT NULL,
    channel         TEXT    NOT NULL,
    external_id     TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    last_event_seq  INTEGER NOT NULL,
    placed_at       INTEGER NOT NULL,
    buyer_id        TEXT,
    buyer_email     TEXT,
    buyer_phone     TEXT,
    buyer_name      TEXT,
    currency        TEXT    NOT NULL,
    total_minor     INTEGER NOT NULL,
    document        TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, channel, external_id)
) STRICT;

CREATE INDEX orders_by_placed ON orders (tenant_id, placed_at DESC, id DESC);
CREATE INDEX orders_by_status ON orders (tenant_id, status, placed_at DESC, id DESC);
CREATE INDEX orders_by_buyer_id ON orders (tenant_id, buyer_id);
CREATE INDEX orders_by_buyer_email ON orders (tenant_id, buyer_email);
CREATE INDEX orders_by_buyer_phone ON orders (tenant_id, buyer_phone);

CREATE TABLE order_events (
    tenant_id   TEXT    NOT NULL,
    order_id    BLOB    NOT NULL,
    seq         INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, order_id, seq)
) STRICT;

CREATE TABLE inbox (
    tenant_id    TEXT    NOT NULL,
    id           BLOB    NOT NULL,
    source       TEXT    NOT NULL,
    channel      TEXT,
    external_id  TEXT,
    received_at  INTEGER NOT NULL,
    status       TEXT    NOT NULL,
    error        TEXT,
    order_id     BLOB,
    outcome      TEXT,
    attempts     INTEGER NOT NULL DEFAULT 1,
    replay_of    BLOB,
    resolved_by  BLOB,
    body         BLOB    NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE INDEX inbox_by_status ON inbox (tenant_id, status, id DESC);

CREATE TABLE idempotency_keys (
    tenant_id     TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    request_hash  TEXT    NOT NULL,
    order_id      BLOB    NOT NULL,
    inbox_id      BLOB    NOT NULL,
    outcome       TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    version       INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, key)
) STRICT;

-- Ordo's PostgreSQL schema.
--
-- Every table is keyed by tenant_id first, so a distributed PostgreSQL (Citus) can shard
-- the tenant-owned tables on it (create_distributed_table(..., 'tenant_id')) and keep each
-- tenant's rows, and every transaction ingestion runs, on one node. Unique constraints all
-- include tenant_id for the same reason: Citus can only enforce uniqueness that contains
-- the distribution column.

-- Tenants are few and read everywhere; on Citus this is a reference table.
CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- On Citus this is a reference table (replicated to every node), not a distributed one:
-- a request's token is looked up by its hash before the tenant is known, so the lookup
-- cannot be routed to a shard, and token_hash must be unique across all tenants.
CREATE TABLE api_tokens (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    id         UUID NOT NULL,
    role       TEXT NOT NULL,
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ NULL,
    PRIMARY KEY (tenant_id, id)
);

-- One row per (tenant, channel, external id): the unique constraint is what makes
-- concurrent ingestion on several nodes create an order at most once. The buyer, money and
-- placed_at columns are copies of fields in `document` (the source of truth), kept as
-- columns so search can filter and sort on them with indexes.
CREATE TABLE orders (
    tenant_id      TEXT NOT NULL,
    id             UUID NOT NULL,
    channel        TEXT NOT NULL,
    external_id    TEXT NOT NULL,
    status         TEXT NOT NULL,
    version        BIGINT NOT NULL,
    last_event_seq BIGINT NOT NULL,
    placed_at      TIMESTAMPTZ NOT NULL,
    buyer_id       TEXT NULL,
    buyer_email    TEXT NULL,
    buyer_phone    TEXT NULL,
    buyer_name     TEXT NULL,
    currency       TEXT NOT NULL,
    total_minor    BIGINT NOT NULL,
    document       JSONB NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, channel, external_id)
);

-- Search sorts newest placed first with the id breaking ties (the cursor order).
CREATE INDEX orders_placed ON orders (tenant_id, placed_at DESC, id DESC);
CREATE INDEX orders_status_placed ON orders (tenant_id, status, placed_at DESC, id DESC);
CREATE INDEX orders_buyer_id ON orders (tenant_id, buyer_id);
CREATE INDEX orders_buyer_email ON orders (tenant_id, buyer_email);
CREATE INDEX orders_buyer_phone ON orders (tenant_id, buyer_phone);

-- An order's history; seq is dense from 1 per order (orders.last_event_seq is the newest).
CREATE TABLE order_events (
    tenant_id TEXT NOT NULL,
    order_id  UUID NOT NULL,
    seq       BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    actor     TEXT NOT NULL,
    data      JSONB NOT NULL,
    PRIMARY KEY (tenant_id, order_id, seq)
);

-- Every inbound payload, kept byte for byte (BYTEA, not JSON: a payload that failed to
-- parse must still be kept exactly as received).
CREATE TABLE inbox (
    tenant_id   TEXT NOT NULL,
    id          UUID NOT NULL,
    source      TEXT NOT NULL,
    channel     TEXT NULL,
    external_id TEXT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    status      TEXT NOT NULL,
    error       JSONB NULL,
    order_id    UUID NULL,
    outcome     TEXT NULL,
    attempts    INT NOT NULL DEFAULT 1,
    replay_of   UUID NULL,
    resolved_by UUID NULL,
    body        BYTEA NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Listing by status, newest first (ids are UUIDv7, so id order is arrival order).
CREATE INDEX inbox_status ON inbox (tenant_id, status, id DESC);

-- The first answer to each Idempotency-Key, replayed to later requests with the same key.
CREATE TABLE idempotency_keys (
    tenant_id    TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    order_id     UUID NOT NULL,
    inbox_id     UUID NOT NULL,
    outcome      TEXT NOT NULL,
    status       TEXT NOT NULL,
    version      BIGINT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, key)
);

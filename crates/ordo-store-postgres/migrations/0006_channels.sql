-- Keys that find orders belonging together (see ordo_core::matching): the same buyer to
-- the same address (merge candidates) and the same goods and amount too (likely duplicates).
ALTER TABLE orders ADD COLUMN match_key TEXT COLLATE "C" NULL;
ALTER TABLE orders ADD COLUMN fingerprint TEXT COLLATE "C" NULL;
CREATE INDEX orders_match_key ON orders (tenant_id, match_key, placed_at);
CREATE INDEX orders_fingerprint ON orders (tenant_id, fingerprint, placed_at);

-- Where each channel connector has read up to; advanced after what it read is stored.
CREATE TABLE channel_cursors (
    tenant_id   TEXT        NOT NULL COLLATE "C",
    channel     TEXT        NOT NULL COLLATE "C",
    cursor      JSONB       NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, channel)
);

-- Fields that appeared in or vanished from a mapping's payloads.
CREATE TABLE mapping_drift (
    tenant_id      TEXT        NOT NULL COLLATE "C",
    mapping        TEXT        NOT NULL COLLATE "C",
    field          TEXT        NOT NULL COLLATE "C",
    change         TEXT        NOT NULL,
    first_seen     TIMESTAMPTZ NOT NULL,
    last_seen      TIMESTAMPTZ NOT NULL,
    seen_count     BIGINT      NOT NULL,
    last_order_id  UUID        NULL,
    last_inbox_id  UUID        NULL,
    PRIMARY KEY (tenant_id, mapping, field, change)
);

-- Notes on orders someone should see, one per kind.
CREATE TABLE order_flags (
    tenant_id  TEXT        NOT NULL COLLATE "C",
    order_id   UUID        NOT NULL,
    kind       TEXT        NOT NULL COLLATE "C",
    detail     JSONB       NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, order_id, kind)
);

-- Orders shipped together. Members of an active merge are in merge_members (an order is
-- in at most one); order_ids keeps the history after a merge is undone.
CREATE TABLE merges (
    tenant_id     TEXT        NOT NULL COLLATE "C",
    id            UUID        NOT NULL,
    order_ids     JSONB       NOT NULL,
    merged_by     TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    dissolved_at  TIMESTAMPTZ NULL,
    dissolved_by  TEXT        NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE merge_members (
    tenant_id  TEXT NOT NULL COLLATE "C",
    order_id   UUID NOT NULL,
    merge_id   UUID NOT NULL,
    PRIMARY KEY (tenant_id, order_id)
);

-- Keys that find orders belonging together (see ordo_core::matching): the same buyer to
-- the same address (merge candidates) and the same goods and amount too (likely duplicates).
ALTER TABLE orders ADD COLUMN match_key TEXT;
ALTER TABLE orders ADD COLUMN fingerprint TEXT;
CREATE INDEX orders_by_match_key ON orders (tenant_id, match_key, placed_at);
CREATE INDEX orders_by_fingerprint ON orders (tenant_id, fingerprint, placed_at);

-- Where each channel connector has read up to; advanced after what it read is stored.
CREATE TABLE channel_cursors (
    tenant_id   TEXT    NOT NULL,
    channel     TEXT    NOT NULL,
    cursor      TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, channel)
) STRICT;

-- Fields that appeared in or vanished from a mapping's payloads.
CREATE TABLE mapping_drift (
    tenant_id      TEXT    NOT NULL,
    mapping        TEXT    NOT NULL,
    field          TEXT    NOT NULL,
    change         TEXT    NOT NULL,
    first_seen     INTEGER NOT NULL,
    last_seen      INTEGER NOT NULL,
    seen_count     INTEGER NOT NULL,
    last_order_id  BLOB,
    last_inbox_id  BLOB,
    PRIMARY KEY (tenant_id, mapping, field, change)
) STRICT;

-- Notes on orders someone should see, one per kind.
CREATE TABLE order_flags (
    tenant_id  TEXT    NOT NULL,
    order_id   BLOB    NOT NULL,
    kind       TEXT    NOT NULL,
    detail     TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, order_id, kind)
) STRICT;

-- Orders shipped together. Members of an active merge are in merge_members (an order is
-- in at most one); order_ids keeps the history after a merge is undone.
CREATE TABLE merges (
    tenant_id     TEXT    NOT NULL,
    id            BLOB    NOT NULL,
    order_ids     TEXT    NOT NULL,
    merged_by     TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    dissolved_at  INTEGER,
    dissolved_by  TEXT,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE TABLE merge_members (
    tenant_id  TEXT NOT NULL,
    order_id   BLOB NOT NULL,
    merge_id   BLOB NOT NULL,
    PRIMARY KEY (tenant_id, order_id)
) STRICT;

-- Orders tied to stock: what each order holds, channel rules and the quantities last
-- offered to channels, low-stock alerts, the outbox and the live feed.

-- N days of average sales, refreshed by Ordo (`refresh_forecasts`); NULL = no recent sales.
ALTER TABLE skus ADD COLUMN forecast_threshold INTEGER;

-- Bundles are found by component on every stock transaction (availability of bundles
-- sharing a component is published with it); the primary key only serves bundle → parts.
-- Covering, or the planner prefers scanning the tenant's whole primary key range.
CREATE INDEX bundle_components_by_component ON bundle_components (tenant_id, component_sku, bundle_sku);

-- What an order holds: one row per (sku, warehouse) allocation, plus one row per SKU it
-- waits for, with warehouse '' and waiting > 0. All-zero rows are never stored.
CREATE TABLE order_stock (
    tenant_id   TEXT    NOT NULL,
    order_id    BLOB    NOT NULL,
    sku         TEXT    NOT NULL,
    warehouse   TEXT    NOT NULL,
    reserved    INTEGER NOT NULL CHECK (reserved >= 0),
    shipped     INTEGER NOT NULL CHECK (shipped >= 0),
    returned    INTEGER NOT NULL CHECK (returned >= 0),
    waiting     INTEGER NOT NULL CHECK (waiting >= 0),
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, order_id, sku, warehouse)
) STRICT;

-- Shortages by SKU, for `waiting_orders`; allocations (waiting = 0) stay out of it.
CREATE INDEX order_stock_waiting ON order_stock (tenant_id, sku) WHERE waiting > 0;

CREATE TABLE channel_rules (
    tenant_id       TEXT    NOT NULL,
    channel         TEXT    NOT NULL,
    ratio_permille  INTEGER NOT NULL,
    buffer          INTEGER NOT NULL,
    overrides       TEXT    NOT NULL,   -- JSON object: sku → {"mode": ..., "quantity": ...}
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, channel)
) STRICT;

-- Quantities last offered to each channel: a change is queued only when it differs.
CREATE TABLE channel_stock (
    tenant_id   TEXT    NOT NULL,
    channel     TEXT    NOT NULL,
    sku         TEXT    NOT NULL,
    quantity    INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, channel, sku)
) STRICT;

-- Stock transactions read every channel's quantity of a few SKUs.
CREATE INDEX channel_stock_by_sku ON channel_stock (tenant_id, sku, channel);

CREATE TABLE stock_alerts (
    tenant_id   TEXT    NOT NULL,
    id          BLOB    NOT NULL,
    sku         TEXT    NOT NULL,
    available   INTEGER NOT NULL,
    threshold   INTEGER NOT NULL,
    opened_at   INTEGER NOT NULL,
    closed_at   INTEGER,
    PRIMARY KEY (tenant_id, id)
) STRICT;

-- At most one open alert per SKU.
CREATE UNIQUE INDEX stock_alerts_open ON stock_alerts (tenant_id, sku) WHERE closed_at IS NULL;

CREATE TABLE outbox (
    tenant_id        TEXT    NOT NULL,
    id               BLOB    NOT NULL,
    topic            TEXT    NOT NULL,
    destination      TEXT    NOT NULL,
    payload          TEXT    NOT NULL,   -- JSON
    status           TEXT    NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

-- The dispatcher polls due messages of a topic over every tenant.
CREATE INDEX outbox_due ON outbox (topic, status, next_attempt_at);
-- The dispatcher reports attempts by id alone (ids are UUIDv7, unique everywhere).
-- Listing a tenant's messages newest first uses the primary key (UUIDv7 ids sort by time).
CREATE UNIQUE INDEX outbox_by_id ON outbox (id);

-- The live feed, numbered per tenant in commit order (the writer holds the database lock,
-- so numbering in the transaction is commit order).
CREATE TABLE feed (
    tenant_id  TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    data       TEXT    NOT NULL,   -- JSON
    at         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, seq)
) STRICT;

CREATE TABLE feed_heads (
    tenant_id  TEXT    NOT NULL PRIMARY KEY,
    last_seq   INTEGER NOT NULL
) STRICT;

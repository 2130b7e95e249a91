-- Orders and stock in one transaction: what each order holds, what each channel was
-- offered, low-stock alerts, the outbox for outside systems and the per-tenant live feed.
--
-- As in 0001 and 0002, every key starts with tenant_id (so the tables can be distributed
-- on it) and codes are COLLATE "C" (byte order, the same as Rust's and SQLite's).

-- Refreshed by Ordo from recent sales (refresh_forecasts); NULL when nothing sold.
ALTER TABLE skus ADD COLUMN forecast_threshold BIGINT;

-- Bundles containing a SKU are looked up by component on every stock transaction.
CREATE INDEX bundle_components_by_component ON bundle_components (tenant_id, component_sku);

-- What an order holds, per (sku, warehouse): an allocation. Units it waits for, per SKU:
-- a shortage, stored with warehouse '' and waiting > 0 (no warehouse code is empty).
-- The reserved column summed over orders equals stock_levels.reserved.
CREATE TABLE order_stock (
    tenant_id  TEXT NOT NULL,
    order_id   UUID NOT NULL,
    sku        TEXT COLLATE "C" NOT NULL,
    warehouse  TEXT COLLATE "C" NOT NULL,
    reserved   BIGINT NOT NULL CHECK (reserved >= 0),
    shipped    BIGINT NOT NULL CHECK (shipped >= 0),
    returned   BIGINT NOT NULL CHECK (returned >= 0),
    waiting    BIGINT NOT NULL CHECK (waiting >= 0),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, order_id, sku, warehouse)
);

-- waiting_orders: which orders wait for a SKU that now has stock.
CREATE INDEX order_stock_waiting ON order_stock (tenant_id, sku) WHERE waiting > 0;

CREATE TABLE channel_rules (
    tenant_id      TEXT NOT NULL,
    channel        TEXT COLLATE "C" NOT NULL,
    ratio_permille BIGINT NOT NULL,
    buffer         BIGINT NOT NULL,
    overrides      JSONB NOT NULL,   -- object: sku -> {"mode": "fixed"|"cap", "quantity": n}
    updated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, channel)
);

-- The quantity last offered to each channel, so that only changes are queued.
CREATE TABLE channel_stock (
    tenant_id  TEXT NOT NULL,
    channel    TEXT COLLATE "C" NOT NULL,
    sku        TEXT COLLATE "C" NOT NULL,
    quantity   BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, channel, sku)
);

CREATE TABLE stock_alerts (
    tenant_id TEXT NOT NULL,
    id        UUID NOT NULL,
    sku       TEXT COLLATE "C" NOT NULL,
    available BIGINT NOT NULL,
    threshold BIGINT NOT NULL,
    opened_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ NULL,
    PRIMARY KEY (tenant_id, id)
);

-- At most one open alert per SKU.
CREATE UNIQUE INDEX stock_alerts_open ON stock_alerts (tenant_id, sku) WHERE closed_at IS NULL;

-- Messages for outside systems, written in the transaction that caused them and sent
-- afterwards by a worker (at least once).
CREATE TABLE outbox (
    tenant_id       TEXT NOT NULL,
    id              UUID NOT NULL,
    topic           TEXT NOT NULL,
    destination     TEXT NOT NULL,
    payload         JSONB NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead', 'dropped')),
    attempts        BIGINT NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error      TEXT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- The delivery worker polls due messages of a topic across all tenants.
CREATE INDEX outbox_due ON outbox (topic, status, next_attempt_at);
-- It reports back by id alone (ids are UUIDv7, unique on their own); not UNIQUE so that
-- a sharded PostgreSQL, which can only enforce uniqueness including tenant_id, accepts it.
CREATE INDEX outbox_id ON outbox (id);
-- Listing a tenant's messages newest first.
CREATE INDEX outbox_by_tenant ON outbox (tenant_id, id DESC);

-- The live feed: seq is dense from 1 per tenant, in commit order (see feed_heads).
CREATE TABLE feed (
    tenant_id TEXT NOT NULL,
    seq       BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    data      JSONB NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);

-- Each tenant's last feed number. A transaction bumps it last, just before committing, and
-- holds the row lock until it commits, so numbers are handed out in commit order and a
-- reader resuming after seq n never misses an event committed later with a smaller one.
CREATE TABLE feed_heads (
    tenant_id TEXT PRIMARY KEY,
    last_seq  BIGINT NOT NULL
);

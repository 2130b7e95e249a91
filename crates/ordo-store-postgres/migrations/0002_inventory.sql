-- Inventory: warehouses, the SKU catalogue, bundles, stock levels and their movements.
--
-- As in 0001, every key starts with tenant_id so the tables can be distributed on it
-- (Citus) and a stock transaction stays on one node. Codes are COLLATE "C": listings are
-- ordered and paged by code, and byte order is the same on every server whatever its
-- locale, the same as the SQLite adapter's and Rust's own string order.

CREATE TABLE warehouses (
    tenant_id      TEXT NOT NULL,
    code           TEXT COLLATE "C" NOT NULL,
    name           TEXT NOT NULL,
    latitude       DOUBLE PRECISION NULL,
    longitude      DOUBLE PRECISION NULL,
    region         TEXT NULL,
    channels       JSONB NOT NULL,   -- array of channel ids; empty = every channel
    daily_capacity BIGINT NULL,
    priority       BIGINT NOT NULL,
    active         BOOLEAN NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, code)
);

CREATE TABLE skus (
    tenant_id           TEXT NOT NULL,
    code                TEXT COLLATE "C" NOT NULL,
    barcode             TEXT NULL,
    name                TEXT NOT NULL,
    weight_g            BIGINT NULL,
    length_mm           BIGINT NULL,
    width_mm            BIGINT NULL,
    height_mm           BIGINT NULL,
    attributes          JSONB NOT NULL,   -- array of strings
    cost_price_minor    BIGINT NULL,
    cost_currency       TEXT NULL,
    low_stock_threshold BIGINT NULL,
    is_bundle           BOOLEAN NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, code)
);

CREATE TABLE bundle_components (
    tenant_id     TEXT NOT NULL,
    bundle_sku    TEXT COLLATE "C" NOT NULL,
    component_sku TEXT COLLATE "C" NOT NULL,
    quantity      BIGINT NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (tenant_id, bundle_sku, component_sku)
);

-- The CHECKs back up ordo_core::inventory::apply: whatever a buggy caller computes, a
-- level never goes negative.
CREATE TABLE stock_levels (
    tenant_id    TEXT NOT NULL,
    warehouse    TEXT COLLATE "C" NOT NULL,
    sku          TEXT COLLATE "C" NOT NULL,
    on_hand      BIGINT NOT NULL CHECK (on_hand >= 0),
    reserved     BIGINT NOT NULL CHECK (reserved >= 0),
    safety_stock BIGINT NOT NULL CHECK (safety_stock >= 0),
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, sku, warehouse)
);

-- Append-only. Ids are UUIDv7, so id order is time order and PostgreSQL's byte-wise uuid
-- comparison makes them a keyset cursor for "newest first".
CREATE TABLE stock_movements (
    tenant_id      TEXT NOT NULL,
    id             UUID NOT NULL,
    warehouse      TEXT COLLATE "C" NOT NULL,
    sku            TEXT COLLATE "C" NOT NULL,
    kind           TEXT NOT NULL
        CHECK (kind IN ('receipt', 'adjustment', 'reservation', 'release', 'shipment', 'return')),
    quantity       BIGINT NOT NULL,
    on_hand_after  BIGINT NOT NULL,
    reserved_after BIGINT NOT NULL,
    reason         TEXT NOT NULL,
    reference      TEXT NULL,
    actor          TEXT NOT NULL,
    at             TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX stock_movements_by_sku ON stock_movements (tenant_id, sku, id DESC);
CREATE INDEX stock_movements_by_warehouse ON stock_movements (tenant_id, warehouse, id DESC);

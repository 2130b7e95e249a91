-- Inventory: warehouses, the SKU catalogue, bundles, stock levels and their movements.

CREATE TABLE warehouses (
    tenant_id       TEXT    NOT NULL,
    code            TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    latitude        REAL,
    longitude       REAL,
    region          TEXT,
    channels        TEXT    NOT NULL,   -- JSON array; empty = every channel
    daily_capacity  INTEGER,
    priority        INTEGER NOT NULL,
    active          INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, code)
) STRICT;

CREATE TABLE skus (
    tenant_id            TEXT    NOT NULL,
    code                 TEXT    NOT NULL,
    barcode              TEXT,
    name                 TEXT    NOT NULL,
    weight_g             INTEGER,
    length_mm            INTEGER,
    width_mm             INTEGER,
    height_mm            INTEGER,
    attributes           TEXT    NOT NULL,   -- JSON array
    cost_price_minor     INTEGER,
    cost_currency        TEXT,
    low_stock_threshold  INTEGER,
    is_bundle            INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, code)
) STRICT;

CREATE TABLE bundle_components (
    tenant_id      TEXT    NOT NULL,
    bundle_sku     TEXT    NOT NULL,
    component_sku  TEXT    NOT NULL,
    quantity       INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (tenant_id, bundle_sku, component_sku)
) STRICT;

CREATE TABLE stock_levels (
    tenant_id     TEXT    NOT NULL,
    warehouse     TEXT    NOT NULL,
    sku           TEXT    NOT NULL,
    on_hand       INTEGER NOT NULL CHECK (on_hand >= 0),
    reserved      INTEGER NOT NULL CHECK (reserved >= 0),
    safety_stock  INTEGER NOT NULL CHECK (safety_stock >= 0),
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, sku, warehouse)
) STRICT;

CREATE TABLE stock_movements (
    tenant_id       TEXT    NOT NULL,
    id              BLOB    NOT NULL,
    warehouse       TEXT    NOT NULL,
    sku             TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    quantity        INTEGER NOT NULL,
    on_hand_after   INTEGER NOT NULL,
    reserved_after  INTEGER NOT NULL,
    reason          TEXT    NOT NULL,
    reference       TEXT,
    actor           TEXT    NOT NULL,
    at              INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE INDEX stock_movements_by_sku ON stock_movements (tenant_id, sku, id DESC);
CREATE INDEX stock_movements_by_warehouse ON stock_movements (tenant_id, warehouse, id DESC);

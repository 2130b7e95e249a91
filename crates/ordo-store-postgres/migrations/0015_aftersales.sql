-- After-sales: cases (goods coming back, refund-only requests, exchanges, reships) with
-- their lines and an immutable event per action, and refunds as records of their own.
CREATE TABLE aftersale_cases (
    tenant_id          TEXT    NOT NULL COLLATE "C",
    id                 UUID    NOT NULL,
    order_id           UUID    NOT NULL,
    channel            TEXT    NOT NULL,
    external_order_id  TEXT    NOT NULL,
    kind               TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    reason             TEXT,
    channel_case_id    TEXT,
    channel_status     TEXT,
    lines              JSONB    NOT NULL,
    exchange_lines     JSONB    NOT NULL,
    exchange_order_id  UUID,
    return_tracking    JSONB,
    version            BIGINT  NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX aftersale_cases_by_order ON aftersale_cases (tenant_id, order_id);
CREATE INDEX aftersale_cases_by_status ON aftersale_cases (tenant_id, status, updated_at);
CREATE INDEX aftersale_cases_by_updated ON aftersale_cases (tenant_id, updated_at);
-- One case per channel case id.
CREATE UNIQUE INDEX aftersale_cases_channel_id ON aftersale_cases (tenant_id, channel, channel_case_id)
    WHERE channel_case_id IS NOT NULL;

CREATE TABLE aftersale_events (
    tenant_id  TEXT    NOT NULL COLLATE "C",
    case_id    UUID    NOT NULL,
    seq        BIGINT  NOT NULL,
    kind       TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    data       JSONB    NOT NULL,
    actor      TEXT    NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, case_id, seq)
);

CREATE TABLE refunds (
    tenant_id          TEXT    NOT NULL COLLATE "C",
    id                 UUID    NOT NULL,
    order_id           UUID    NOT NULL,
    case_id            UUID,
    channel_refund_id  TEXT,
    currency           TEXT    NOT NULL,
    amount             BIGINT  NOT NULL CHECK (amount > 0),
    shipping           BIGINT  NOT NULL,
    restocking_fee     BIGINT  NOT NULL,
    lines              JSONB    NOT NULL,
    source             TEXT    NOT NULL,
    stated_amount      BIGINT ,
    note               TEXT,
    created_by         TEXT    NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX refunds_by_order ON refunds (tenant_id, order_id);
CREATE INDEX refunds_by_case ON refunds (tenant_id, case_id) WHERE case_id IS NOT NULL;
-- A channel's refund is recorded once, however often it is delivered.
CREATE UNIQUE INDEX refunds_channel_id ON refunds (tenant_id, order_id, channel_refund_id)
    WHERE channel_refund_id IS NOT NULL;

-- Goods counted on an after-sale receipt that do not go back on the shelf are recorded.
ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_kind_check;
ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_kind_check
    CHECK (kind IN ('receipt', 'adjustment', 'reservation', 'release', 'shipment', 'return', 'write_off', 'quarantine'));

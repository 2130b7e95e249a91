-- After-sales: cases (goods coming back, refund-only requests, exchanges, reships) with
-- their lines and an immutable event per action, and refunds as records of their own.
CREATE TABLE aftersale_cases (
    tenant_id          TEXT    NOT NULL,
    id                 BLOB    NOT NULL,
    order_id           BLOB    NOT NULL,
    channel            TEXT    NOT NULL,
    external_order_id  TEXT    NOT NULL,
    kind               TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    reason             TEXT,
    channel_case_id    TEXT,
    channel_status     TEXT,
    lines              TEXT    NOT NULL,
    exchange_lines     TEXT    NOT NULL,
    exchange_order_id  BLOB,
    return_tracking    TEXT,
    version            INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE INDEX aftersale_cases_by_order ON aftersale_cases (tenant_id, order_id);
CREATE INDEX aftersale_cases_by_status ON aftersale_cases (tenant_id, status, updated_at);
CREATE INDEX aftersale_cases_by_updated ON aftersale_cases (tenant_id, updated_at);
-- One case per channel case id.
CREATE UNIQUE INDEX aftersale_cases_channel_id ON aftersale_cases (tenant_id, channel, channel_case_id)
    WHERE channel_case_id IS NOT NULL;

CREATE TABLE aftersale_events (
    tenant_id  TEXT    NOT NULL,
    case_id    BLOB    NOT NULL,
    seq        INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    data       TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, case_id, seq)
) STRICT;

CREATE TABLE refunds (
    tenant_id          TEXT    NOT NULL,
    id                 BLOB    NOT NULL,
    order_id           BLOB    NOT NULL,
    case_id            BLOB,
    channel_refund_id  TEXT,
    currency           TEXT    NOT NULL,
    amount             INTEGER NOT NULL CHECK (amount > 0),
    shipping           INTEGER NOT NULL,
    restocking_fee     INTEGER NOT NULL,
    lines              TEXT    NOT NULL,
    source             TEXT    NOT NULL,
    stated_amount      INTEGER,
    note               TEXT,
    created_by         TEXT    NOT NULL,
    created_at         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE INDEX refunds_by_order ON refunds (tenant_id, order_id);
CREATE INDEX refunds_by_case ON refunds (tenant_id, case_id) WHERE case_id IS NOT NULL;
-- A channel's refund is recorded once, however often it is delivered.
CREATE UNIQUE INDEX refunds_channel_id ON refunds (tenant_id, order_id, channel_refund_id)
    WHERE channel_refund_id IS NOT NULL;

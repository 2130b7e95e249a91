-- Why an order waits for a person or a rule: the review rules that held it, or a
-- person's hold. Closed holds stay as history; an order with an open hold stays on hold.
CREATE TABLE order_holds (
    tenant_id   TEXT        NOT NULL COLLATE "C",
    id          UUID        NOT NULL,
    order_id    UUID        NOT NULL,
    kind        TEXT        NOT NULL COLLATE "C",
    hits        JSONB       NOT NULL,
    until       TIMESTAMPTZ NULL,
    opened_at   TIMESTAMPTZ NOT NULL,
    opened_by   TEXT        NOT NULL,
    closed_at   TIMESTAMPTZ NULL,
    closed_by   TEXT        NULL,
    resolution  TEXT        NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX order_holds_order ON order_holds (tenant_id, order_id);
CREATE INDEX order_holds_open_until ON order_holds (tenant_id, until) WHERE closed_at IS NULL AND until IS NOT NULL;

-- Why an order waits for a person or a rule: the review rules that held it, or a
-- person's hold. Closed holds stay as history; an order with an open hold stays on hold.
CREATE TABLE order_holds (
    tenant_id   TEXT    NOT NULL,
    id          BLOB    NOT NULL,
    order_id    BLOB    NOT NULL,
    kind        TEXT    NOT NULL,
    hits        TEXT    NOT NULL,
    until       INTEGER,
    opened_at   INTEGER NOT NULL,
    opened_by   TEXT    NOT NULL,
    closed_at   INTEGER,
    closed_by   TEXT,
    resolution  TEXT,
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE INDEX order_holds_by_order ON order_holds (tenant_id, order_id);
CREATE INDEX order_holds_open_until ON order_holds (tenant_id, until) WHERE closed_at IS NULL AND until IS NOT NULL;

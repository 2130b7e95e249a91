-- Parcels that left a warehouse, found again by tracking number when a carrier reports.
-- `units` is SKU → units. `status` is the tracking vocabulary (`shipped` until a carrier
-- speaks). A delivery problem (exception, failed_attempt, return_to_sender) is an open
-- alert until `acknowledged_at` is set.
CREATE TABLE shipments (
    tenant_id        TEXT        NOT NULL COLLATE "C",
    id               UUID        NOT NULL,
    order_id         UUID        NOT NULL,
    warehouse        TEXT        NULL,
    carrier          TEXT        NULL,
    tracking_number  TEXT        NULL,
    tracking_url     TEXT        NULL,
    units            JSONB       NOT NULL,
    status           TEXT        NOT NULL,
    status_detail    TEXT        NULL,
    shipped_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    delivered_at     TIMESTAMPTZ NULL,
    acknowledged_at  TIMESTAMPTZ NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX shipments_by_tracking ON shipments (tenant_id, tracking_number);
CREATE INDEX shipments_by_order ON shipments (tenant_id, order_id);
CREATE INDEX shipments_by_status ON shipments (tenant_id, status, id);

-- Carrier tracking updates as they arrived, kept before they are applied: `received`,
-- then `applied`, `unmatched` (no parcel of ours has the number) or `failed` (unreadable),
-- with the error; a kept update can be replayed.
CREATE TABLE tracking_inbound (
    tenant_id    TEXT        NOT NULL COLLATE "C",
    id           UUID        NOT NULL,
    source       TEXT        NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL,
    body         BYTEA       NOT NULL,
    status       TEXT        NOT NULL,
    error        JSONB       NULL,
    attempts     INTEGER     NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX tracking_inbound_by_status ON tracking_inbound (tenant_id, status, id);

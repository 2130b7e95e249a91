-- Parcels that left a warehouse, found again by tracking number when a carrier reports.
-- `units` is a JSON object SKU → units. `status` is the tracking vocabulary (`shipped`
-- until a carrier speaks). A delivery problem (exception, failed_attempt,
-- return_to_sender) is an open alert until `acknowledged_at` is set.
CREATE TABLE shipments (
    tenant_id        TEXT    NOT NULL,
    id               BLOB    NOT NULL,
    order_id         BLOB    NOT NULL,
    warehouse        TEXT,
    carrier          TEXT,
    tracking_number  TEXT,
    tracking_url     TEXT,
    units            TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    status_detail    TEXT,
    shipped_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    delivered_at     INTEGER,
    acknowledged_at  INTEGER,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE INDEX shipments_by_tracking ON shipments (tenant_id, tracking_number);
CREATE INDEX shipments_by_order ON shipments (tenant_id, order_id);
CREATE INDEX shipments_by_status ON shipments (tenant_id, status, id);

-- Carrier tracking updates as they arrived, kept before they are applied: `received`,
-- then `applied`, `unmatched` (no parcel of ours has the number) or `failed` (unreadable),
-- with the error; a kept update can be replayed.
CREATE TABLE tracking_inbound (
    tenant_id    TEXT    NOT NULL,
    id           BLOB    NOT NULL,
    source       TEXT    NOT NULL,
    received_at  INTEGER NOT NULL,
    body         BLOB    NOT NULL,
    status       TEXT    NOT NULL,
    error        TEXT,
    attempts     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE INDEX tracking_inbound_by_status ON tracking_inbound (tenant_id, status, id);

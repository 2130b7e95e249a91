-- Integrators' webhook subscriptions: where to POST which feed events, signed with
-- `secret` (kept as given: signing needs it back). `events` is a JSON array of patterns.
-- `dispatched_seq` is the number of the last feed event handed over to the outbox; it
-- only moves by compare-and-set, together with the deliveries it hands over.
-- A deleted subscription stays (active = 0) so its delivery history stays readable.
CREATE TABLE subscriptions (
    tenant_id       TEXT    NOT NULL,
    id              BLOB    NOT NULL,
    url             TEXT    NOT NULL,
    events          TEXT    NOT NULL,
    secret          TEXT    NOT NULL,
    description     TEXT,
    active          INTEGER NOT NULL CHECK (active IN (0, 1)),
    dispatched_seq  INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

-- A subscription's delivery history without scanning the tenant's whole outbox. Partial,
-- so the outbox writes of ingestion and stock changes do not maintain it.
CREATE INDEX outbox_subscription_deliveries ON outbox (tenant_id, destination, id)
    WHERE topic = 'subscription';

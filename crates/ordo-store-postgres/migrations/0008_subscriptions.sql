-- Integrators' webhook subscriptions: where to POST which feed events, signed with
-- `secret` (kept as given: signing needs it back). `dispatched_seq` is the number of the
-- last feed event handed over to the outbox; it only moves by compare-and-set
-- (UPDATE … WHERE dispatched_seq = <what was read>), together with the deliveries it
-- hands over, so two nodes never hand the same events over twice.
-- A deleted subscription stays (active = false) so its delivery history stays readable.
CREATE TABLE subscriptions (
    tenant_id       TEXT        NOT NULL COLLATE "C",
    id              UUID        NOT NULL,
    url             TEXT        NOT NULL,
    events          TEXT[]      NOT NULL,
    secret          TEXT        NOT NULL,
    description     TEXT        NULL,
    active          BOOLEAN     NOT NULL,
    dispatched_seq  BIGINT      NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- A subscription's delivery history without scanning the tenant's whole outbox. Partial,
-- so the outbox writes of ingestion and stock changes do not maintain it.
CREATE INDEX outbox_subscription_deliveries ON outbox (tenant_id, destination, id)
    WHERE topic = 'subscription';

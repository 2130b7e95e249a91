-- Feed events are staged by the transaction that causes them and numbered afterwards.
--
-- Numbering inside the writing transaction needs the tenant's counter row locked until
-- commit, which serialised every writer's commit (and its fsync) per tenant. Staged rows
-- are written without a lock; a short numbering transaction (run by whoever reads the
-- feed) moves committed rows into `feed` under the counter lock. Numbers stay dense and
-- never go back, and every committed event is numbered exactly once.
CREATE TABLE feed_staged (
    id         BIGINT GENERATED ALWAYS AS IDENTITY,
    tenant_id  TEXT        NOT NULL COLLATE "C",
    kind       TEXT        NOT NULL,
    data       JSONB       NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Dashboard figures kept as rollups, added to in the transactions that change them (an
-- order arriving, allocated, sent to a warehouse, shipped), so a dashboard never scans
-- orders. `day` is the UTC midnight of when it happened; `warehouse` is '' for figures
-- that have none (orders in). Several nodes add to the same rows: each transaction
-- upserts its rows last and in key order, so they cannot deadlock.
CREATE TABLE kpi_counts (
    tenant_id  TEXT        NOT NULL COLLATE "C",
    day        TIMESTAMPTZ NOT NULL,
    channel    TEXT        NOT NULL COLLATE "C",
    warehouse  TEXT        NOT NULL COLLATE "C",
    metric     TEXT        NOT NULL COLLATE "C",
    value      BIGINT      NOT NULL,
    PRIMARY KEY (tenant_id, day, channel, warehouse, metric)
);

-- Latency histograms: how many times a stage took at most `bucket` seconds (and more than
-- the bucket below); -1 is the bucket beyond the largest bound.
CREATE TABLE kpi_latency (
    tenant_id  TEXT        NOT NULL COLLATE "C",
    day        TIMESTAMPTZ NOT NULL,
    channel    TEXT        NOT NULL COLLATE "C",
    warehouse  TEXT        NOT NULL COLLATE "C",
    stage      TEXT        NOT NULL COLLATE "C",
    bucket     BIGINT      NOT NULL,
    n          BIGINT      NOT NULL,
    PRIMARY KEY (tenant_id, day, channel, warehouse, stage, bucket)
);

-- The newest arrival from each channel: when the platform last changed it and when Ordo
-- stored it (the sync lag is the difference).
CREATE TABLE kpi_sync (
    tenant_id   TEXT        NOT NULL COLLATE "C",
    channel     TEXT        NOT NULL COLLATE "C",
    changed_at  TIMESTAMPTZ NOT NULL,
    seen_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, channel)
);

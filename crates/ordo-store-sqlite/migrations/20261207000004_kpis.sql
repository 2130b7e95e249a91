-- Dashboard figures kept as rollups, added to in the transactions that change them (an
-- order arriving, allocated, sent to a warehouse, shipped), so a dashboard never scans
-- orders. `day` is the UTC midnight (integer microseconds) of when it happened;
-- `warehouse` is '' for figures that have none (orders in).
CREATE TABLE kpi_counts (
    tenant_id  TEXT    NOT NULL,
    day        INTEGER NOT NULL,
    channel    TEXT    NOT NULL,
    warehouse  TEXT    NOT NULL,
    metric     TEXT    NOT NULL,
    value      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day, channel, warehouse, metric)
) STRICT;

-- Latency histograms: how many times a stage took at most `bucket` seconds (and more than
-- the bucket below); -1 is the bucket beyond the largest bound.
CREATE TABLE kpi_latency (
    tenant_id  TEXT    NOT NULL,
    day        INTEGER NOT NULL,
    channel    TEXT    NOT NULL,
    warehouse  TEXT    NOT NULL,
    stage      TEXT    NOT NULL,
    bucket     INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day, channel, warehouse, stage, bucket)
) STRICT;

-- The newest arrival from each channel: when the platform last changed it and when Ordo
-- stored it (the sync lag is the difference).
CREATE TABLE kpi_sync (
    tenant_id   TEXT    NOT NULL,
    channel     TEXT    NOT NULL,
    changed_at  INTEGER NOT NULL,
    seen_at     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, channel)
) STRICT;

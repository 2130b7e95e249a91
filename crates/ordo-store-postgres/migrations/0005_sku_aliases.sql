-- Other names channels use for catalogue SKUs (listing ids, old codes). channel '' means
-- every channel; a channel's own alias wins over that.
CREATE TABLE sku_aliases (
    tenant_id   TEXT        NOT NULL COLLATE "C",
    channel     TEXT        NOT NULL COLLATE "C",
    alias       TEXT        NOT NULL COLLATE "C",
    sku         TEXT        NOT NULL COLLATE "C",
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, alias, channel)
);

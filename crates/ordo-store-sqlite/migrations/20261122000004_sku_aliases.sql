-- Other names channels use for catalogue SKUs (listing ids, old codes). channel '' means
-- every channel; a channel's own alias wins over that.
CREATE TABLE sku_aliases (
    tenant_id   TEXT    NOT NULL,
    channel     TEXT    NOT NULL,
    alias       TEXT    NOT NULL,
    sku         TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, alias, channel)
) STRICT;

-- Every saved version of a tenant's policy (workflow, review rules, routing, consolidation,
-- inventory, alerts, a mapping). The highest version is in force; `body` NULL means the
-- node's default. Versions are never changed or removed: a restore saves a new version
-- with an earlier body, so the history says who did what and when.
CREATE TABLE policy_versions (
    tenant_id      TEXT        NOT NULL COLLATE "C",
    kind           TEXT        NOT NULL COLLATE "C",
    version        BIGINT      NOT NULL,
    body           TEXT        NULL,
    changes        TEXT        NOT NULL,
    note           TEXT        NULL,
    restored_from  BIGINT      NULL,
    created_by     TEXT        NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, kind, version)
);

-- What each mapping's payloads have looked like: in how many payloads each field was
-- present (the empty field counts the payloads). Kept so that a node started after a
-- platform renamed a field still compares with what came before.
CREATE TABLE drift_baselines (
    tenant_id   TEXT        NOT NULL COLLATE "C",
    mapping     TEXT        NOT NULL COLLATE "C",
    field       TEXT        NOT NULL COLLATE "C",
    seen        BIGINT      NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, mapping, field)
);

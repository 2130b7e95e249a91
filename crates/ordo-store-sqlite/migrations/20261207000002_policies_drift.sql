-- Every saved version of a tenant's policy (workflow, review rules, routing, consolidation,
-- inventory, alerts, a mapping). The highest version is in force; `body` NULL means the
-- node's default. Versions are never changed or removed: a restore saves a new version
-- with an earlier body, so the history says who did what and when.
CREATE TABLE policy_versions (
    tenant_id      TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    body           TEXT,
    changes        TEXT    NOT NULL,
    note           TEXT,
    restored_from  INTEGER,
    created_by     TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind, version)
) STRICT;

-- What each mapping's payloads have looked like: in how many payloads each field was
-- present (the empty field counts the payloads). Kept so that a node started after a
-- platform renamed a field still compares with what came before.
CREATE TABLE drift_baselines (
    tenant_id   TEXT    NOT NULL,
    mapping     TEXT    NOT NULL,
    field       TEXT    NOT NULL,
    seen        INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, mapping, field)
) STRICT;

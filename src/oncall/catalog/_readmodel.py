"""The Lite adapter's read model: side tables kept correct by SQLite triggers on DataHub Lite's own table.

DataHub Lite has no relationship index (REFERENCE.md C2): finding the downstreams of a dataset, the
assertions on it or the incidents naming it would mean scanning every aspect with `json_each`. Instead
two side tables live in the same file and are maintained by triggers on `metadata_aspect_v2`:

- `oncall_edge(urn, aspect, kind, target)`: "the `aspect` of `urn` points at `target`", with kinds
  `lineage` (upstreamLineage: urn is downstream of target; dataJobInputOutput: a data job reads
  target), `produces` (a data job writes target), `input` (chart -> dataset, dashboard ->
  chart/dataset), `asserts` (assertion -> the entity of any AssertionInfo type), `incident`
  (incident -> entity), `sibling` (siblings aspect: urn -> each sibling) and `sibling_primary` /
  `sibling_secondary` (urn -> itself: the `primary` flag it declares).
- `oncall_text(urn, aspect, field, text)`: the searchable words of an entity (name, description,
  column, tag, term, subtype) plus its platform `instance` URN.
- `oncall_run(urn, ts, version, result)`: the latest `assertionRunEvent` of each assertion, newest by
  `timestampMillis` (the highest version among equal timestamps), so "every failing assertion" is one
  indexed lookup instead of a sort of every run event. Run events live in versions > 0 (REFERENCE.md
  C2), so these triggers watch those rows: an insert is an upsert that keeps the newer run, an update
  or delete recomputes the assertion's row.

Triggers fire inside the writer's transaction for every writer of the file (our catalog, the
`datahub-lite` ingestion sink, the `datahub lite` CLI), so the model can never lag behind a write. Each
also bumps `oncall_meta.generation`, so a reader can keep derived results (sibling groups, lineage,
pages) until the file changes, and a write of an aspect that decides which entities the catalog lists
(their names, `status`, `siblings`) bumps `oncall_meta.entities` too: with the file's random `epoch`,
that says whether the set of entities may have changed (the semantic index asks) without listing them,
and an incident or a tag written by a run leaves it as it was. A token per aspect name
(`aspect:<name>`, a new random one with each write of that aspect) tells a reader which kinds of
remembered reads a write made stale (`lite_memo`); random, so two copies of one file that were then
written differently never show the same token.
Lite keeps the latest value of each aspect in the `version = 0` row; only that row feeds the model.
"""

from __future__ import annotations

import sqlite3

__all__ = ["MODEL_VERSION", "install", "is_installed"]

MODEL_VERSION = "7"

# Rows derived from one version-0 aspect row; `{row}` is NEW. Plain URN lists may be serialised as
# unions (`[{"string": urn}]`, e.g. ChartInfo.inputs), hence the `_URN` unwrapping of each element.
_URN = "CASE WHEN j.type = 'object' THEN json_extract(j.value, '$.string') ELSE j.value END"
_EDGE_SELECT = """
SELECT DISTINCT {row}.urn, {row}.aspect_name, kind, target FROM (
  SELECT 'lineage' AS kind, json_extract(j.value, '$.dataset') AS target
    FROM json_each({row}.metadata, '$.upstreams') j WHERE {row}.aspect_name = 'upstreamLineage'
  UNION ALL SELECT 'input', {urn} FROM json_each({row}.metadata, '$.inputs') j
    WHERE {row}.aspect_name = 'chartInfo'
  UNION ALL SELECT 'input', json_extract(j.value, '$.destinationUrn')
    FROM json_each({row}.metadata, '$.inputEdges') j WHERE {row}.aspect_name = 'chartInfo'
  UNION ALL SELECT 'input', {urn} FROM json_each({row}.metadata, '$.charts') j
    WHERE {row}.aspect_name = 'dashboardInfo'
  UNION ALL SELECT 'input', json_extract(j.value, '$.destinationUrn')
    FROM json_each({row}.metadata, '$.chartEdges') j WHERE {row}.aspect_name = 'dashboardInfo'
  UNION ALL SELECT 'input', {urn} FROM json_each({row}.metadata, '$.datasets') j
    WHERE {row}.aspect_name = 'dashboardInfo'
  UNION ALL SELECT 'input', json_extract(j.value, '$.destinationUrn')
    FROM json_each({row}.metadata, '$.datasetEdges') j WHERE {row}.aspect_name = 'dashboardInfo'
  UNION ALL SELECT 'lineage', {urn} FROM json_each({row}.metadata, '$.inputDatasets') j
    WHERE {row}.aspect_name = 'dataJobInputOutput'
  UNION ALL SELECT 'lineage', json_extract(j.value, '$.destinationUrn')
    FROM json_each({row}.metadata, '$.inputDatasetEdges') j WHERE {row}.aspect_name = 'dataJobInputOutput'
  UNION ALL SELECT 'lineage', {urn} FROM json_each({row}.metadata, '$.inputDatajobs') j
    WHERE {row}.aspect_name = 'dataJobInputOutput'
  UNION ALL SELECT 'lineage', json_extract(j.value, '$.destinationUrn')
    FROM json_each({row}.metadata, '$.inputDatajobEdges') j WHERE {row}.aspect_name = 'dataJobInputOutput'
  UNION ALL SELECT 'produces', {urn} FROM json_each({row}.metadata, '$.outputDatasets') j
    WHERE {row}.aspect_name = 'dataJobInputOutput'
  UNION ALL SELECT 'produces', json_extract(j.value, '$.destinationUrn')
    FROM json_each({row}.metadata, '$.outputDatasetEdges') j WHERE {row}.aspect_name = 'dataJobInputOutput'
  UNION ALL SELECT 'asserts', coalesce(
      json_extract({row}.metadata, '$.datasetAssertion.dataset'),
      json_extract({row}.metadata, '$.customAssertion.entity'),
      json_extract({row}.metadata, '$.freshnessAssertion.entity'),
      json_extract({row}.metadata, '$.volumeAssertion.entity'),
      json_extract({row}.metadata, '$.sqlAssertion.entity'),
      json_extract({row}.metadata, '$.fieldAssertion.entity'),
      json_extract({row}.metadata, '$.schemaAssertion.entity'),
      json_extract({row}.metadata, '$.entityUrn'))
    WHERE {row}.aspect_name = 'assertionInfo'
  UNION ALL SELECT 'sibling', {urn} FROM json_each({row}.metadata, '$.siblings') j
    WHERE {row}.aspect_name = 'siblings'
  UNION ALL SELECT CASE WHEN json_extract({row}.metadata, '$.primary') THEN 'sibling_primary'
      ELSE 'sibling_secondary' END, {row}.urn
    WHERE {row}.aspect_name = 'siblings' AND json_type({row}.metadata, '$.primary') IN ('true', 'false')
  UNION ALL SELECT 'incident', {urn} FROM json_each({row}.metadata, '$.entities') j
    WHERE {row}.aspect_name = 'incidentInfo'
) WHERE target IS NOT NULL
"""

_TEXT_SELECT = """
SELECT DISTINCT {row}.urn, {row}.aspect_name, field, text FROM (
  SELECT 'name' AS field, json_extract({row}.metadata, '$.name') AS text
    WHERE {row}.aspect_name = 'datasetProperties'
  UNION ALL SELECT 'name', json_extract({row}.metadata, '$.title')
    WHERE {row}.aspect_name IN ('chartInfo', 'dashboardInfo')
  UNION ALL SELECT 'name', json_extract({row}.metadata, '$.name')
    WHERE {row}.aspect_name = 'dataJobInfo'
  UNION ALL SELECT 'description', json_extract({row}.metadata, '$.description')
    WHERE {row}.aspect_name IN ('datasetProperties', 'editableDatasetProperties', 'chartInfo',
                                'dashboardInfo', 'editableChartProperties', 'editableDashboardProperties',
                                'dataJobInfo', 'editableDataJobProperties')
  UNION ALL SELECT 'column', json_extract(j.value, '$.fieldPath')
    FROM json_each({row}.metadata, '$.fields') j WHERE {row}.aspect_name = 'schemaMetadata'
  UNION ALL SELECT 'tag', substr(json_extract(j.value, '$.tag'), 12)
    FROM json_each({row}.metadata, '$.tags') j WHERE {row}.aspect_name = 'globalTags'
  UNION ALL SELECT 'term', substr(json_extract(j.value, '$.urn'), 21)
    FROM json_each({row}.metadata, '$.terms') j WHERE {row}.aspect_name = 'glossaryTerms'
  UNION ALL SELECT 'subtype', j.value FROM json_each({row}.metadata, '$.typeNames') j
    WHERE {row}.aspect_name = 'subTypes'
  UNION ALL SELECT 'instance', json_extract({row}.metadata, '$.instance')
    WHERE {row}.aspect_name = 'dataPlatformInstance'
  UNION ALL SELECT 'removed', 'true'
    WHERE {row}.aspect_name = 'status' AND json_extract({row}.metadata, '$.removed') = 1
) WHERE text IS NOT NULL AND text != ''
"""

# The aspects `list_urns` depends on: a name (datasetProperties, chartInfo, ...), removal, sibling groups.
_LISTED_ASPECTS = "('datasetProperties', 'chartInfo', 'dashboardInfo', 'dataJobInfo', 'status', 'siblings')"
_BUMP = f"""
  UPDATE oncall_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
  UPDATE oncall_meta SET value = CAST(value AS INTEGER) + 1
    WHERE key = 'entities' AND {{row}}.aspect_name IN {_LISTED_ASPECTS};
  INSERT INTO oncall_meta (key, value) VALUES ('aspect:' || {{row}}.aspect_name, lower(hex(randomblob(8))))
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
"""
_REFRESH = """
  DELETE FROM oncall_edge WHERE urn = NEW.urn AND aspect = NEW.aspect_name;
  DELETE FROM oncall_text WHERE urn = NEW.urn AND aspect = NEW.aspect_name;
  INSERT INTO oncall_edge (urn, aspect, kind, target) {edges};
  INSERT INTO oncall_text (urn, aspect, field, text) {texts};
""" + _BUMP.format(row="NEW")

_DDL = [
    "CREATE TABLE IF NOT EXISTS oncall_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS oncall_edge (urn TEXT NOT NULL, aspect TEXT NOT NULL, kind TEXT NOT NULL,"
    " target TEXT NOT NULL)",
    # Covering (the third column too): a lineage hop or a sibling lookup never reads the table itself.
    "CREATE INDEX IF NOT EXISTS oncall_edge_by_urn ON oncall_edge (urn, kind, target)",
    "CREATE INDEX IF NOT EXISTS oncall_edge_by_target ON oncall_edge (target, kind, urn)",
    "CREATE TABLE IF NOT EXISTS oncall_text (urn TEXT NOT NULL, aspect TEXT NOT NULL, field TEXT NOT NULL,"
    " text TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS oncall_text_by_urn ON oncall_text (urn, field)",
    "CREATE INDEX IF NOT EXISTS oncall_text_by_field ON oncall_text (field)",
    "CREATE TABLE IF NOT EXISTS oncall_run (urn TEXT PRIMARY KEY, ts INTEGER, version INTEGER NOT NULL,"
    " result TEXT)",
    "CREATE INDEX IF NOT EXISTS oncall_run_by_result ON oncall_run (result)",
    # Lite's own index is (urn, aspect_name, version); scans by aspect name need this one.
    "CREATE INDEX IF NOT EXISTS oncall_aspect_by_name ON metadata_aspect_v2 (aspect_name, version)",
]


_RUN = "NEW.aspect_name = 'assertionRunEvent' AND NEW.version > 0"
_RUN_LATEST = """
  INSERT INTO oncall_run (urn, ts, version, result)
    SELECT urn, json_extract(metadata, '$.timestampMillis') AS ts, version,
           json_extract(metadata, '$.result.type')
    FROM metadata_aspect_v2 WHERE urn = {row}.urn AND aspect_name = 'assertionRunEvent' AND version > 0
    ORDER BY ts IS NULL, ts DESC, version DESC LIMIT 1;
"""
# The newer of the stored run and NEW: a later timestamp, or the same one written later (NULLs last).
_RUN_UPSERT = """
  INSERT INTO oncall_run (urn, ts, version, result) VALUES (NEW.urn,
      json_extract(NEW.metadata, '$.timestampMillis'), NEW.version,
      json_extract(NEW.metadata, '$.result.type'))
    ON CONFLICT (urn) DO UPDATE SET ts = excluded.ts, version = excluded.version, result = excluded.result
    WHERE (excluded.ts IS NOT NULL AND (oncall_run.ts IS NULL OR excluded.ts > oncall_run.ts))
       OR (excluded.ts IS oncall_run.ts AND excluded.version > oncall_run.version);
"""


def _run_triggers() -> list[str]:
    recompute = "DELETE FROM oncall_run WHERE urn = {row}.urn;" + _RUN_LATEST
    bump = {row: _BUMP.format(row=row) for row in ("NEW", "OLD")}
    return [
        f"CREATE TRIGGER IF NOT EXISTS oncall_run_after_insert AFTER INSERT ON metadata_aspect_v2 "
        f"WHEN {_RUN} BEGIN {_RUN_UPSERT} {bump['NEW']} END",
        f"CREATE TRIGGER IF NOT EXISTS oncall_run_after_update AFTER UPDATE OF metadata ON "
        f"metadata_aspect_v2 WHEN {_RUN} BEGIN {recompute.format(row='NEW')} {bump['NEW']} END",
        "CREATE TRIGGER IF NOT EXISTS oncall_run_after_delete AFTER DELETE ON metadata_aspect_v2 "
        "WHEN OLD.aspect_name = 'assertionRunEvent' AND OLD.version > 0 "
        f"BEGIN {recompute.format(row='OLD')} {bump['OLD']} END",
    ]


def _triggers() -> list[str]:
    body = _REFRESH.format(
        edges=_EDGE_SELECT.format(row="NEW", urn=_URN), texts=_TEXT_SELECT.format(row="NEW")
    )
    return [
        "CREATE TRIGGER IF NOT EXISTS oncall_after_insert AFTER INSERT ON metadata_aspect_v2 "
        f"WHEN NEW.version = 0 BEGIN {body} END",
        "CREATE TRIGGER IF NOT EXISTS oncall_after_update AFTER UPDATE OF metadata ON metadata_aspect_v2 "
        f"WHEN NEW.version = 0 BEGIN {body} END",
        "CREATE TRIGGER IF NOT EXISTS oncall_after_delete AFTER DELETE ON metadata_aspect_v2 "
        "WHEN OLD.version = 0 BEGIN "
        "DELETE FROM oncall_edge WHERE urn = OLD.urn AND aspect = OLD.aspect_name; "
        "DELETE FROM oncall_text WHERE urn = OLD.urn AND aspect = OLD.aspect_name; "
        f"{_BUMP.format(row='OLD')} END",
        *_run_triggers(),
    ]


_BACKFILL_RUNS = """
INSERT INTO oncall_run (urn, ts, version, result)
SELECT urn, ts, version, result FROM (
  SELECT urn, version, json_extract(metadata, '$.timestampMillis') AS ts,
         json_extract(metadata, '$.result.type') AS result,
         ROW_NUMBER() OVER (PARTITION BY urn ORDER BY json_extract(metadata, '$.timestampMillis') IS NULL,
                            json_extract(metadata, '$.timestampMillis') DESC, version DESC) AS rn
  FROM metadata_aspect_v2 WHERE aspect_name = 'assertionRunEvent' AND version > 0
) WHERE rn = 1
"""


def is_installed(conn: sqlite3.Connection) -> bool:
    """True if this file carries the current read model (tables, triggers and version)."""
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'oncall_%'")}
    if not {"oncall_meta", "oncall_edge", "oncall_text", "oncall_run", "oncall_after_insert"} <= names:
        return False
    row = conn.execute("SELECT value FROM oncall_meta WHERE key = 'model_version'").fetchone()
    return row is not None and row[0] == MODEL_VERSION


def install(conn: sqlite3.Connection) -> None:
    """Create (or rebuild, on a version change) the side tables and triggers, then backfill them.

    Runs in one transaction so a reader never sees a half-built model.
    """
    with conn:
        conn.execute("DROP TRIGGER IF EXISTS oncall_after_insert")
        conn.execute("DROP TRIGGER IF EXISTS oncall_after_update")
        conn.execute("DROP TRIGGER IF EXISTS oncall_after_delete")
        for name in ("insert", "update", "delete"):
            conn.execute(f"DROP TRIGGER IF EXISTS oncall_run_after_{name}")
        conn.execute("DROP TABLE IF EXISTS oncall_edge")  # its indexes go with it
        conn.execute("DROP TABLE IF EXISTS oncall_text")
        conn.execute("DROP TABLE IF EXISTS oncall_run")
        for ddl in _DDL:
            conn.execute(ddl)
        conn.execute("INSERT OR IGNORE INTO oncall_meta (key, value) VALUES ('generation', '0')")
        conn.execute("INSERT OR IGNORE INTO oncall_meta (key, value) VALUES ('entities', '0')")
        conn.execute(
            "INSERT OR IGNORE INTO oncall_meta (key, value) VALUES ('epoch', lower(hex(randomblob(8))))"
        )
        for trigger in _triggers():
            conn.execute(trigger)
        # Re-fire the update trigger on every current row: one definition of the model, no drift.
        conn.execute("UPDATE metadata_aspect_v2 SET metadata = metadata WHERE version = 0")
        conn.execute(_BACKFILL_RUNS)
        conn.execute(
            "INSERT OR REPLACE INTO oncall_meta (key, value) VALUES ('model_version', ?)", (MODEL_VERSION,)
        )

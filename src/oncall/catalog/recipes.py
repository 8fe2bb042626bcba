"""`oncall ingest RECIPE.yml`: DataHub's own ingestion framework, any source, into the configured catalog.

The recipe is a DataHub recipe (`source`, optional `sink`, `pipeline_name`, `transformers`, ...). It is
checked before anything runs, with a one-line error naming the field: an unknown `source.type`, a
source config that does not validate, a dbt artifact that is missing or of a schema version DataHub's
dbt source does not read. Then:

- **Lite** (the default): the recipe's sink is replaced by `LitePatchSink`, DataHub's Lite sink plus
  what it drops. DataHub's CLI Lite sink skips every raw `MetadataChangeProposal`, and PATCH proposals
  are exactly how the dbt source sends the warehouse side's lineage under its default incremental
  lineage; this sink applies them as read-modify-write of the patched aspect (DataHub's keyed-array
  patch semantics). A server's SiblingAssociationHook links a dbt node and its warehouse table; Lite
  has no hooks, so the sink writes those `siblings` aspects itself. The dbt source's default
  `write_semantics: PATCH` reads back through a server graph; on Lite it is OVERRIDE. Everything is
  written into a temporary copy of the Lite file that replaces it only when the run succeeded.
- **GMS**: the sink is `datahub-rest` from `gms_url`/`gms_token`; the server applies patches itself.
- **Any other registered backend** (`oncall.catalog.backends`): its own `ingest`, else the sink its
  catalog's `ingest_sink()` names.

DataHub's release check is skipped (offline; see `ingest.offline_pipeline`). Re-running a recipe is
idempotent: identical aspects create no new Lite version, patches re-apply to the same result.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from oncall.catalog.backends import backend_for
from oncall.catalog.lite_files import working_copy
from oncall.errors import CatalogError, ConfigError, UserError

__all__ = ["LitePatchSink", "RecipeError", "RecipeSummary", "apply_patch", "check_recipe", "run_recipe"]

Progress = Callable[[str], None]
_TOP_LEVEL = {
    "source",
    "sink",
    "transformers",
    "flags",
    "reporting",
    "run_id",
    "pipeline_name",
    "datahub_api",
    "failure_log",
}
# Schema versions of the dbt artifacts that DataHub's dbt source (acryl-datahub 1.7) reads.
_DBT_SCHEMAS = {
    "manifest_path": ("manifest", range(4, 13)),
    "catalog_path": ("catalog", range(1, 2)),
    "sources_path": ("sources", range(1, 4)),
    "run_results_paths": ("run-results", range(1, 7)),
}
_DBT_PLATFORM = "urn:li:dataPlatform:dbt"


class RecipeError(ConfigError):
    """A recipe is malformed: unknown source, bad or missing field, unusable dbt artifact."""


class RecipeSummary(BaseModel):
    """What one `oncall ingest` did."""

    recipe: str
    source: str
    """The recipe's `source.type`."""
    backend: str
    location: str
    """The Lite file or the GMS URL written to."""
    entities: int
    """Distinct URNs the source emitted."""
    aspects: int
    """Aspects written (an MCE counts each of its aspects)."""
    patches: int
    """PATCH proposals oncall applied on Lite (0 on GMS, where the server applies them)."""
    siblings: int = 0
    """dbt node <-> warehouse table pairs linked on Lite (a server's hook does this on GMS)."""
    warnings: list[str] = Field(default_factory=list)
    failures: list[str] = Field(default_factory=list)
    seconds: float


# --------------------------------------------------------------------------------------- checking


def load_recipe(path: Path) -> dict[str, Any]:
    """Read a recipe file (YAML or JSON, `${VAR}` expanded as DataHub does); RecipeError if unreadable."""
    from datahub.configuration.config_loader import load_config_file

    if not path.is_file():
        raise RecipeError(f"recipe {path} does not exist")
    try:
        recipe = load_config_file(path, allow_remote=False)
    except Exception as exc:  # the loader raises ConfigurationError, YAMLError, KeyError (unset var)
        raise RecipeError(f"recipe {path} cannot be read: {exc}") from exc
    if not isinstance(recipe, dict):
        raise RecipeError(f"recipe {path}: expected a mapping with a 'source' section at the top level")
    return recipe


def check_recipe(recipe: dict[str, Any], *, server: bool) -> dict[str, Any]:
    """Validate a recipe; returns its source config with oncall's defaults for the target applied.

    Raises `RecipeError` naming the first bad field (`source.type`, `source.config.<field>`, ...).
    """
    unknown = sorted(set(recipe) - _TOP_LEVEL)
    if unknown:
        raise RecipeError(
            f"recipe: unknown top-level field {unknown[0]!r}; known: {', '.join(sorted(_TOP_LEVEL))}"
        )
    source = recipe.get("source")
    if not isinstance(source, dict) or not source.get("type"):
        raise RecipeError("recipe: source.type is missing (e.g. `source: {type: dbt, config: {...}}`)")
    source_type = str(source["type"])
    config = source.get("config") or {}
    if not isinstance(config, dict):
        raise RecipeError("recipe: source.config must be a mapping")
    source_class = _source_class(source_type)
    if not server and source_type == "dbt":  # nothing to read PATCHes back from
        config = _dbt_on_lite(config, recipe)
    _validate(source_class, config)
    if source_type in ("dbt", "dbt-core") or source_type.endswith("DBTCoreSource"):
        _check_dbt_artifacts(config)
    return config


def _source_class(source_type: str) -> Any:
    from datahub.ingestion.source.source_registry import source_registry

    try:
        return source_registry.get(source_type)
    except Exception as exc:  # KeyError for unknown, ConfigurationError/ImportError for a missing plugin
        known = sorted(k for k in source_registry.mapping if "." not in k)
        if source_type not in known:
            close = [k for k in known if k.split("-")[0] == source_type.split("-")[0]] or known[:8]
            raise RecipeError(
                f"source.type: unknown source {source_type!r} (e.g. {', '.join(close)}; "
                "`datahub check plugins` lists all)"
            ) from exc
        raise RecipeError(
            f"source.type: source {source_type!r} cannot be loaded: {_first_line(exc)}"
        ) from exc


def _validate(source_class: Any, config: dict[str, Any]) -> None:
    from pydantic import ValidationError

    config_class = source_class.get_config_class()
    try:
        config_class.model_validate(config)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
        field = f"source.config.{where}" if where else "source.config"
        raise RecipeError(f"{field}: {err.get('msg', 'invalid')}") from exc
    except Exception as exc:  # DataHub's validators raise ValueError/ConfigurationError directly
        raise RecipeError(f"source.config: {_first_line(exc)}") from exc


def _dbt_on_lite(config: dict[str, Any], recipe: dict[str, Any]) -> dict[str, Any]:
    """PATCH write semantics need a server graph to read from; Lite gets OVERRIDE unless one is given."""
    semantics = str(config.get("write_semantics", "")).upper()
    if recipe.get("datahub_api") or semantics == "OVERRIDE":
        return config
    if semantics == "PATCH":
        raise RecipeError(
            "source.config.write_semantics: PATCH reads back from a DataHub server; with the Lite "
            "catalog use OVERRIDE (or leave it out)"
        )
    return {**config, "write_semantics": "OVERRIDE"}


def _check_dbt_artifacts(config: dict[str, Any]) -> None:
    for field, (kind, versions) in _DBT_SCHEMAS.items():
        values = config.get(field)
        if field == "run_results_paths":
            values = values or [config.get("test_results_path") or config.get("run_results_path")]
            field = "test_results_path" if config.get("test_results_path") else field
        for value in values if isinstance(values, list) else [values]:
            if value and "://" not in str(value) and not any(c in str(value) for c in "*?["):
                _check_artifact(f"source.config.{field}", Path(str(value)), kind, versions)


def _check_artifact(field: str, path: Path, kind: str, versions: range) -> None:
    if not path.is_file():
        raise RecipeError(f"{field}: {path} does not exist")
    try:
        with path.open("rb") as f:
            metadata = json.load(f).get("metadata") or {}
    except (OSError, ValueError, AttributeError) as exc:
        raise RecipeError(f"{field}: {path} is not a JSON dbt artifact ({_first_line(exc)})") from exc
    schema = str(metadata.get("dbt_schema_version") or "")
    # e.g. https://schemas.getdbt.com/dbt/manifest/v12.json
    name, _, tail = schema.rpartition("/")
    if not name.endswith(f"/{kind}"):
        raise RecipeError(
            f"{field}: {path} is not a dbt {kind} file (dbt_schema_version {schema or 'missing'})"
        )
    try:
        version = int(tail.removeprefix("v").removesuffix(".json"))
    except ValueError:
        version = -1
    if version not in versions:
        raise RecipeError(
            f"{field}: {path} is a dbt {kind} of schema {tail.removesuffix('.json')} (dbt "
            f"{metadata.get('dbt_version', '?')}); DataHub's dbt source reads v{versions[0]}-v{versions[-1]}"
        )


def _first_line(exc: object) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# ----------------------------------------------------------------------------------------- patches


_KEYS = {"upstreams": ("dataset",), "owners": ("owner",), "tags": ("tag",), "terms": ("urn",)}


def _key_of(item: Any, array: str) -> str | None:
    """The key DataHub's patch templates give an element of a keyed array."""
    if isinstance(item, str):
        return item
    if not isinstance(item, dict):
        return None
    for field in (*_KEYS.get(array, ()), "urn", "dataset", "tag", "owner", "url", "destinationUrn"):
        if isinstance(item.get(field), str):
            return str(item[field])
    return None


def _fine_to_map(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """fineGrainedLineages as DataHub's patch template keys them: op / downstream / query / upstream."""
    out: dict[str, Any] = {}
    for e in entries:
        op = e.get("transformOperation") or "NONE"
        query = e.get("query") or "NONE"
        for down in e.get("downstreams") or []:
            for up in e.get("upstreams") or []:
                leaf = out.setdefault(op, {}).setdefault(down, {}).setdefault(query, {})
                leaf[up] = {"confidenceScore": e.get("confidenceScore", 1.0)}
    return out


def _fine_from_map(tree: dict[str, Any]) -> list[dict[str, Any]]:
    entries = []
    for op, downs in tree.items():
        for down, queries in downs.items():
            for query, ups in queries.items():
                if not ups:
                    continue
                entry: dict[str, Any] = {
                    "upstreamType": "FIELD_SET",
                    "upstreams": sorted(ups),
                    "downstreamType": "FIELD",
                    "downstreams": [down],
                    "confidenceScore": max(float(v.get("confidenceScore", 1.0)) for v in ups.values()),
                }
                if op != "NONE":
                    entry["transformOperation"] = op
                if query != "NONE":
                    entry["query"] = query
                entries.append(entry)
    return entries


def _to_template(aspect: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """Keyed arrays become maps so patch paths address them; returns (tree, names of converted arrays)."""
    tree: dict[str, Any] = {}
    arrays: set[str] = set()
    for name, value in aspect.items():
        if name == "fineGrainedLineages" and isinstance(value, list):
            tree[name] = _fine_to_map(value)
            arrays.add(name)
        elif isinstance(value, list) and all(_key_of(v, name) is not None for v in value):
            tree[name] = {_key_of(v, name): v for v in value}
            arrays.add(name)
        else:
            tree[name] = value
    return tree, arrays


def _from_template(tree: dict[str, Any], arrays: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in tree.items():
        if name == "fineGrainedLineages" and isinstance(value, dict):
            out[name] = _fine_from_map(value)
        elif name in arrays and isinstance(value, dict):
            out[name] = list(value.values())
        else:
            out[name] = value
    return out


def _segments(path: str) -> list[str]:
    return [s.replace("~1", "/").replace("~0", "~") for s in path.lstrip("/").split("/")]


def apply_patch(
    current: dict[str, Any] | None, ops: list[dict[str, Any]], arrays: set[str]
) -> dict[str, Any]:
    """Apply DataHub patch operations to an aspect's JSON (read-modify-write on Lite).

    `arrays` names the aspect's list fields: a patch into one of them (e.g. `/upstreams/<urn>`,
    `/siblings/<urn>`) treats it as a map keyed like DataHub's templates (by URN, dataset, tag, ...).
    `add` sets (and replaces), `remove` deletes; anything else raises ValueError.
    """
    tree, converted = _to_template(dict(current or {}))
    for op in ops:
        parts = _segments(op["path"])
        if parts[0] in arrays and parts[0] not in tree:
            tree[parts[0]] = {}
            converted.add(parts[0])
        node: Any = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"patch path {op['path']} goes through a non-map value")
        if op["op"] in ("add", "replace"):
            node[parts[-1]] = op.get("value")
        elif op["op"] == "remove":
            node.pop(parts[-1], None)
        else:
            raise ValueError(f"patch operation {op['op']!r} is not supported")
    return _from_template(tree, converted)


def _array_fields(aspect_class: Any) -> set[str]:
    return {f.name for f in aspect_class.RECORD_SCHEMA.fields if _is_array(f.type)}


def _is_array(schema: Any) -> bool:
    kinds = getattr(schema, "schemas", None) or [schema]
    return any(getattr(s, "type", None) == "array" for s in kinds)


# -------------------------------------------------------------------------------------------- sink


def _lite_sink_base() -> type[Any]:
    from datahub.ingestion.sink.datahub_lite import DataHubLiteSink

    return DataHubLiteSink


class LitePatchSink(_lite_sink_base()):  # type: ignore[misc]  # a class chosen at import time
    """DataHub's Lite sink plus what it drops: PATCH proposals, raw MCPs, and dbt siblings."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.progress: Progress = lambda _m: None
        self.urns: set[str] = set()
        self.aspects = 0
        self.patches = 0
        self.siblings = 0
        self._lineage: dict[str, set[str]] = {}
        self._closed = False

    def write_record_async(self, record_envelope: Any, write_callback: Any) -> None:
        from datahub.emitter.mcp import MetadataChangeProposalWrapper
        from datahub.metadata.schema_classes import MetadataChangeEventClass

        record = record_envelope.record
        try:
            if isinstance(record, MetadataChangeEventClass):
                self._remember_mce(record)
                self.datahub_lite.write(record)
            elif isinstance(record, MetadataChangeProposalWrapper):
                self._remember(record.entityUrn, record.aspectName, record.aspect)
                self.datahub_lite.write(record)
                self.aspects += 1
            elif str(record.changeType) == "PATCH":
                self._patch(record)
            else:
                wrapped = MetadataChangeProposalWrapper.try_from_mcpc(record)
                if wrapped is None:
                    raise ValueError(f"cannot decode the {record.aspectName} proposal for {record.entityUrn}")
                self._remember(wrapped.entityUrn, wrapped.aspectName, wrapped.aspect)
                self.datahub_lite.write(wrapped)
                self.aspects += 1
        except Exception as exc:
            self.report.report_failure(f"{getattr(record, 'entityUrn', '?')}: {type(exc).__name__}: {exc}")
            if write_callback:
                write_callback.on_failure(record_envelope, exc, {})
            return
        self.report.report_record_written(record_envelope)
        if write_callback:
            write_callback.on_success(record_envelope, success_metadata={})
        if self.report.total_records_written % 250 == 0:
            self.progress(f"ingest: {self.report.total_records_written} records written")

    def _remember_mce(self, mce: Any) -> None:
        snapshot = mce.proposedSnapshot
        self.urns.add(snapshot.urn)
        for aspect in snapshot.aspects:
            self.aspects += 1
            self._remember(snapshot.urn, aspect.ASPECT_NAME, aspect)

    def _remember(self, urn: str | None, aspect_name: str | None, aspect: Any) -> None:
        if urn is None:
            return
        self.urns.add(urn)
        if aspect_name == "upstreamLineage" and aspect is not None:
            self._lineage.setdefault(urn, set()).update(u.dataset for u in aspect.upstreams)

    def _patch(self, mcp: Any) -> None:
        from datahub.emitter.mcp import MetadataChangeProposalWrapper
        from datahub.emitter.serialization_helper import post_json_transform
        from datahub.metadata.schema_classes import ASPECT_NAME_MAP

        aspect_class = ASPECT_NAME_MAP.get(mcp.aspectName)
        if aspect_class is None:
            raise ValueError(f"PATCH of unknown aspect {mcp.aspectName!r}")
        ops = json.loads(mcp.aspect.value)
        current = (self.datahub_lite.get(mcp.entityUrn, [mcp.aspectName]) or {}).get(mcp.aspectName)
        new = apply_patch(current if isinstance(current, dict) else None, ops, _array_fields(aspect_class))
        aspect = aspect_class.from_obj(post_json_transform(new))
        if not aspect.validate():
            raise ValueError(f"the patched {mcp.aspectName} of {mcp.entityUrn} does not validate")
        self._remember(mcp.entityUrn, mcp.aspectName, aspect)
        self.datahub_lite.write(MetadataChangeProposalWrapper(entityUrn=mcp.entityUrn, aspect=aspect))
        self.patches += 1
        self.aspects += 1

    def link_siblings(self) -> None:
        """What DataHub's SiblingAssociationHook does on a server, for the dbt pairs this run saw.

        A dbt model feeds its warehouse table (the table's upstream is the model: the model is
        primary); a warehouse table feeds a dbt source (the table is primary). Same dataset name.
        """
        for down, ups in sorted(self._lineage.items()):
            for up in sorted(ups):
                pair = _dbt_pair(down, up)
                if pair is not None:
                    primary, secondary = pair
                    self._add_sibling(primary, secondary, primary=True)
                    self._add_sibling(secondary, primary, primary=False)
                    self.siblings += 1

    def _add_sibling(self, urn: str, other: str, *, primary: bool) -> None:
        import datahub.metadata.schema_classes as m
        from datahub.emitter.mcp import MetadataChangeProposalWrapper

        got = (self.datahub_lite.get(urn, ["siblings"], typed=True) or {}).get("siblings")
        have = list(got.siblings) if got else []
        if other in have and got is not None and got.primary == primary:
            return
        aspect = m.SiblingsClass(siblings=sorted({*have, other}), primary=primary)
        self.datahub_lite.write(MetadataChangeProposalWrapper(entityUrn=urn, aspect=aspect))

    def close(self) -> None:
        """Called by the pipeline at the end of its run: link the siblings, then close the file.

        Lite's close() rebuilds its browse index once, which is wanted after an ingestion.
        """
        if self._closed:
            return
        self._closed = True
        if not self.report.failures:
            self.link_siblings()
        super().close()


def _dataset_name(urn: str) -> tuple[str, str] | None:
    if not urn.startswith("urn:li:dataset:(") or not urn.endswith(")"):
        return None
    platform, _, rest = urn[len("urn:li:dataset:(") : -1].partition(",")
    name, _, _env = rest.rpartition(",")
    return platform, name


def _dbt_pair(down: str, up: str) -> tuple[str, str] | None:
    """(primary, secondary) when `up -> down` links a dbt node and its warehouse twin of the same name."""
    d, u = _dataset_name(down), _dataset_name(up)
    if d is None or u is None or d[1] != u[1] or (d[0] == _DBT_PLATFORM) == (u[0] == _DBT_PLATFORM):
        return None
    return (up, down)  # the feeding side is primary: the model for a model, the table for a source


# ---------------------------------------------------------------------------------------------- run


def run_recipe(config: Any, path: Path, progress: Progress | None = None) -> RecipeSummary:
    """Run the recipe at `path` into the configured catalog (see the module docstring).

    Raises `RecipeError` for a bad recipe (nothing written), `CatalogError` when ingestion fails
    (on Lite nothing is written either).
    """
    say = progress or (lambda _m: None)
    started = time.perf_counter()
    recipe = load_recipe(path)
    backend = backend_for(config)
    with warnings.catch_warnings(record=True) as caught:  # DataHub's deprecations go in the summary
        warnings.simplefilter("always")
        source_config = check_recipe(recipe, server=backend.server)
    notes = sorted({_first_line(w.message) for w in caught if issubclass(w.category, UserWarning)})
    source_type = str(recipe["source"]["type"])
    recipe = {**recipe, "source": {**recipe["source"], "config": source_config}}
    recipe.setdefault("pipeline_name", f"oncall-ingest-{path.stem}")
    if recipe.get("sink"):
        say(f"ingest: the recipe's sink ({recipe['sink'].get('type')}) is replaced by the configured catalog")
    location = backend.location(config)
    summary = (backend.ingest or _run_with_sink)(recipe, config, say)
    summary.update(recipe=str(path), source=source_type, location=location)
    summary["warnings"] = notes + summary["warnings"]
    summary["seconds"] = round(time.perf_counter() - started, 3)
    result = RecipeSummary(**summary)
    say(
        f"ingest: {result.entities} entities, {result.aspects} aspects, {result.patches} patches, "
        f"{len(result.warnings)} warnings in {result.seconds:.1f} s ({result.backend} at {location})"
    )
    return result


def ingest_into_lite(recipe: dict[str, Any], lite_path: Path, say: Progress) -> dict[str, Any]:
    """Run a checked recipe into the Lite file at `lite_path` through `LitePatchSink`, in a working copy
    that replaces the file only when the run succeeded; returns the summary's fields."""
    lite_path.parent.mkdir(parents=True, exist_ok=True)
    with working_copy(lite_path) as tmp:
        return _run_lite(recipe, tmp, say)


def _run_lite(recipe: dict[str, Any], tmp: Path, say: Progress) -> dict[str, Any]:
    from oncall.catalog.lite import LiteCatalog, sqlite_config

    LiteCatalog(tmp, create=True).close()  # installs the read model, so its triggers see every write
    sink = {"type": f"{LitePatchSink.__module__}.{LitePatchSink.__name__}", "config": sqlite_config(tmp)}
    say(f"ingest: running DataHub's {recipe['source']['type']} source into DataHub Lite")
    pipeline = _pipeline({**recipe, "sink": sink})
    pipeline.sink.progress = say
    warnings, failures = _run(pipeline)  # the pipeline closes the sink, which links the siblings
    patch_sink: LitePatchSink = pipeline.sink
    if failures:
        raise CatalogError(f"ingestion failed, nothing was written: {failures[0]}")
    return {
        "backend": "lite",
        "entities": len(patch_sink.urns),
        "aspects": patch_sink.aspects,
        "patches": patch_sink.patches,
        "siblings": patch_sink.siblings,
        "warnings": warnings,
        "failures": failures,
    }


def _run_with_sink(recipe: dict[str, Any], config: Any, say: Progress) -> dict[str, Any]:
    """Run a checked recipe through the sink the configured catalog names (a server applies patches)."""
    from oncall.catalog import open_catalog
    from oncall.catalog.ingest import sink_for

    catalog = open_catalog(config)
    try:
        sink, backend = sink_for(catalog), catalog.backend
    finally:
        catalog.close()
    location = backend_for(config).location(config)
    say(f"ingest: running DataHub's {recipe['source']['type']} source into {location}")
    pipeline = _pipeline({**recipe, "sink": sink})
    warnings, failures = _run(pipeline)
    report = pipeline.source.get_report()
    if failures:
        raise CatalogError(f"ingestion into {location} failed: {failures[0]}")
    return {
        "backend": backend,
        "entities": len(getattr(report, "_urns_seen", ()) or ()) or int(report.events_produced),
        "aspects": int(pipeline.sink.get_report().total_records_written),
        "patches": 0,
        "warnings": warnings,
        "failures": failures,
    }


def _pipeline(recipe: dict[str, Any]) -> Any:
    from oncall.catalog.ingest import offline_pipeline, quiet_datahub

    with quiet_datahub(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # already collected by check_recipe
        try:
            return offline_pipeline().create(recipe)
        except Exception as exc:  # PipelineInitError wraps the source's own config errors
            cause = exc.__cause__ or exc
            raise RecipeError(f"source.config: {_first_line(cause)}") from exc


def _run(pipeline: Any) -> tuple[list[str], list[str]]:
    from oncall.catalog.ingest import quiet_datahub

    with quiet_datahub(), _silent("datahub"):  # failures are reported once, in the summary or error
        try:
            pipeline.run()
        except UserError:
            raise
        except Exception as exc:  # the framework raises plain exceptions for source errors
            return [], [_first_line(exc)]
    source, sink = pipeline.source.get_report(), pipeline.sink.get_report()
    warnings = [_entry(w) for w in [*source.warnings, *sink.warnings]]
    failures = [_entry(f) for f in [*source.failures, *sink.failures]]
    return warnings, failures


@contextlib.contextmanager
def _silent(logger: str) -> Iterator[None]:
    log = logging.getLogger(logger)
    level = log.level
    log.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        log.setLevel(level)


def _entry(item: Any) -> str:
    """One line from a report entry (a StructuredLogEntry, or a plain string from older sinks)."""
    title = getattr(item, "title", None)
    message = getattr(item, "message", None)
    context = getattr(item, "context", None)
    if title or message:
        text = ": ".join(str(x) for x in (title, message) if x)
        if context:
            text += f" ({', '.join(str(c) for c in list(context)[:2])})"
        return " ".join(text.split())
    return " ".join(str(item).split())

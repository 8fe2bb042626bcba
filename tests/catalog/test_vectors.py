"""The semantic index: WordLlama loaded from its wheel only, vectors built from the catalog, stored beside
it, rebuilt when the catalog's entities change."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from oncall.catalog import Entity, SchemaField, open_catalog
from oncall.catalog.vectors import (
    SemanticIndex,
    ensure_index,
    entity_words,
    fingerprint,
    refresh,
    urn_digest,
    words,
)
from oncall.config import load_config
from oncall.world.urns import dataset_urn
from tests.agents._world_entities import world_entities


@pytest.fixture(scope="module")
def index() -> SemanticIndex:
    return SemanticIndex.from_entities(world_entities(("olist_dirty",)))


def test_the_model_loads_from_the_wheel_with_no_network_and_no_cache(index: SemanticIndex) -> None:
    import wordllama

    from oncall.catalog.vectors import _model

    # the autouse network guard fails any non-loopback connection; nothing may be fetched or cached
    model = _model()
    assert model.embedding.shape == (32000, 256)
    assert (Path(wordllama.__file__).parent / "weights" / "l2_supercat_256.safetensors").is_file()
    assert index.vocab_vectors.shape == (len(index.vocab), 256)


def test_entity_words_cover_name_description_terms_tags_and_columns() -> None:
    customers = Entity(
        urn=dataset_urn("olist_dirty", "olist_customers"),
        type="dataset",
        name="olist_customers",
        platform="sqlite",
        description="Customers of each order.",
        fields=[SchemaField(path="customer_zip_code_prefix")],
        tags=["urn:li:tag:pii"],
        terms=["urn:li:glossaryTerm:customer_identity"],
    )
    said, every = entity_words(customers)
    assert said.count("customers") >= 2  # the name weighs twice
    assert {"identity", "pii"} <= set(said)  # glossary term and tag
    assert "zip" in every and "zip" not in said  # a column word is known, not part of what it is
    assert words("seller_id 42 x") == ["seller", "id"]


def test_meaning_meets_the_catalogs_words(index: SemanticIndex) -> None:
    close = dict(index.similar_words(["shipping"], 0.45)["shipping"])
    assert "delivery" in close
    assert index.correct("revnue") == "revenue"
    assert index.correct("dashbord", also={"dashboard"}) == "dashboard"
    assert index.correct("late") is None  # short real words are never bent into catalog words
    assert index.correct("revenue") is None  # a known word needs no correction


def test_nearest_entities_by_meaning(index: SemanticIndex) -> None:
    vector = index.query_vector(["shipping", "times"])
    assert vector is not None and abs(float(np.linalg.norm(vector)) - 1) < 1e-3
    near = [urn for urn, _ in index.nearest(vector, 3)]
    assert "urn:li:chart:(superset,olist_dirty.delivery_times)" in near
    sims = index.similarity(vector, near)
    assert list(sims) == near and sims[near[0]] >= sims[near[-1]]


def test_save_and_load_round_trip_and_torn_files(index: SemanticIndex, tmp_path: Path) -> None:
    index.save(tmp_path)
    back = SemanticIndex.load(tmp_path)
    assert back is not None and back.urns == index.urns and back.vocab == index.vocab
    assert np.allclose(back.entity_vectors, index.entity_vectors)
    (tmp_path / "vocab.npy").unlink()
    assert SemanticIndex.load(tmp_path) is None
    assert SemanticIndex.load(tmp_path / "missing") is None


def test_setup_stores_the_index_of_every_entity(seeded_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"  # a copy: even a read-only open leaves -shm files in the shared home
    shutil.copytree(seeded_home, home)
    config = load_config(home, environ={})
    stored = SemanticIndex.load(config.vectors_dir)
    catalog = open_catalog(config, read_only=True)
    try:
        assert stored is not None and sorted(stored.urns) == catalog.list_urns()
        assert stored.fingerprint == fingerprint(catalog)
    finally:
        catalog.close()


def test_ensure_index_reuses_then_rebuilds_when_the_catalog_changes(
    seeded_home: Path, tmp_path: Path
) -> None:
    import datahub.metadata.schema_classes as m
    from datahub.emitter.mcp import MetadataChangeProposalWrapper

    home = tmp_path / "home"
    shutil.copytree(seeded_home, home)
    config = load_config(home, environ={})
    catalog = open_catalog(config)
    try:
        first = ensure_index(catalog, config.vectors_dir)
        assert ensure_index(catalog, config.vectors_dir) is first
        urn = dataset_urn("olist_dirty", "gross_merchandise_value")
        props = m.DatasetPropertiesClass(name="gross_merchandise_value", description="GMV per day")
        catalog.emit([MetadataChangeProposalWrapper(entityUrn=urn, aspect=props)])
        again = ensure_index(catalog, config.vectors_dir)
        assert again is not first and urn in again.urns and again.knows("merchandise")
        kept = SemanticIndex.load(config.vectors_dir)
        assert kept is not None and kept.fingerprint == again.fingerprint
        shutil.rmtree(config.vectors_dir)
        assert refresh(catalog, config.vectors_dir).fingerprint == again.fingerprint
    finally:
        catalog.close()


def test_a_confirmed_index_is_taken_without_listing_the_catalog(
    seeded_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new process reads the stored index's confirmed catalog version instead of listing every URN;
    once the entities change, it lists again (and rebuilds), and confirms the new version."""
    import datahub.metadata.schema_classes as m
    from datahub.emitter.mcp import MetadataChangeProposalWrapper

    from oncall.catalog.lite import LiteCatalog
    from oncall.catalog.vectors import _cache

    home = tmp_path / "home"
    shutil.copytree(seeded_home, home)
    config = load_config(home, environ={})
    catalog = open_catalog(config)
    try:
        assert isinstance(catalog, LiteCatalog)
        refresh(catalog, config.vectors_dir)
        _cache.clear()  # as a new process
        listed: list[int] = []
        real_list = catalog.list_urns

        def counting(*args: Any, **kwargs: Any) -> list[str]:
            listed.append(1)
            return real_list(*args, **kwargs)

        monkeypatch.setattr(catalog, "list_urns", counting)
        index = ensure_index(catalog, config.vectors_dir)
        assert listed == [] and index.catalog_version == catalog.entities_version()
        catalog.add_tags(dataset_urn("olist_dirty", "olist_orders"), ["urn:li:tag:quarantined"])
        _cache.clear()
        assert ensure_index(catalog, config.vectors_dir).urns == index.urns and listed == []
        urn = dataset_urn("olist_dirty", "gross_merchandise_value")
        props = m.DatasetPropertiesClass(name="gross_merchandise_value", description="GMV per day")
        catalog.emit([MetadataChangeProposalWrapper(entityUrn=urn, aspect=props)])
        again = ensure_index(catalog, config.vectors_dir)
        assert listed and urn in again.urns
        kept = SemanticIndex.load(config.vectors_dir)
        assert kept is not None and kept.catalog_version == catalog.entities_version()
    finally:
        catalog.close()


def test_a_big_catalog_is_never_rebuilt_in_the_middle_of_a_run(seeded_home: Path, tmp_path: Path) -> None:
    from oncall.catalog.vectors import IndexUnavailableError, _cache

    home = tmp_path / "home"
    shutil.copytree(seeded_home, home)
    config = load_config(home, environ={})
    catalog = open_catalog(config, read_only=True)
    try:
        stale = SemanticIndex.load(config.vectors_dir)
        assert stale is not None
        stale.fingerprint = "older"
        stale.save(config.vectors_dir)
        _cache.clear()
        got = ensure_index(catalog, config.vectors_dir, rebuild_limit=10)
        assert got.stale and got.fingerprint == "older"  # used as it is, marked stale
        shutil.rmtree(config.vectors_dir)
        _cache.clear()
        with pytest.raises(IndexUnavailableError, match="oncall catalog index"):
            ensure_index(catalog, config.vectors_dir, rebuild_limit=10)
        listed = catalog.list_urns
        catalog.list_urns = lambda *_a, **_k: pytest.fail("listed again")  # type: ignore[method-assign]
        with pytest.raises(IndexUnavailableError, match="oncall catalog index"):
            ensure_index(catalog, config.vectors_dir, rebuild_limit=10)  # the same version: not listed
        catalog.list_urns = listed  # type: ignore[method-assign]
        assert not ensure_index(catalog, config.vectors_dir).stale  # small enough: rebuilt
    finally:
        catalog.close()


def test_a_kept_index_of_a_big_catalog_is_checked_against_the_whole_list(
    seeded_home: Path, tmp_path: Path
) -> None:
    """A backend with no `entities_version` has its kept index compared with the whole URN list, not
    with a listing cut at the rebuild limit (which would never match and mark it stale)."""
    from oncall.catalog.vectors import _cache

    home = tmp_path / "home"
    shutil.copytree(seeded_home, home)
    config = load_config(home, environ={})
    catalog = open_catalog(config, read_only=True)
    try:
        catalog.entities_version = lambda: None  # type: ignore[method-assign]
        _cache.clear()
        got = ensure_index(catalog, config.vectors_dir, rebuild_limit=10)
        assert not got.stale and got.fingerprint == urn_digest(catalog.list_urns())
    finally:
        catalog.close()


def test_the_index_reads_the_catalogs_glossary(seeded_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(seeded_home, home)
    config = load_config(home, environ={})
    catalog = open_catalog(config, read_only=True)
    try:
        index = refresh(catalog, tmp_path / "vectors")
    finally:
        catalog.close()
    gmv = index.glossary["urn:li:glossaryTerm:gmv"]
    assert gmv.name == "Gross Merchandise Value" and "freight" in gmv.definition  # the catalog's words
    assert "gmv" in gmv.names() and index.knows("gmv") and index.knows("merchandise")
    assert index.term_names(["urn:li:glossaryTerm:order_status"]) == {"order", "status"}
    back = SemanticIndex.load(tmp_path / "vectors")
    assert back is not None and back.glossary == index.glossary


def test_acronyms_are_what_a_term_spells_out() -> None:
    from oncall.catalog.vectors import Term, acronyms

    assert acronyms("Gross Merchandise Value") == ["gmv"]  # initials of a name of 3+ words
    assert acronyms("Customer Experience", "Customer Experience (CX): how it feels") == ["cx"]
    assert acronyms("Order Status") == []  # two initials say nothing
    assert Term("Order Status", "").names() == ["order", "status"]


def test_a_four_letter_word_is_corrected_only_for_swapped_neighbours() -> None:
    entity = Entity(
        urn=dataset_urn("w", "dim_accounts"),
        type="dataset",
        name="dim_accounts",
        platform="duckdb",
        description="The customer list, with the date and the plan.",
    )
    index = SemanticIndex.from_entities([entity])
    assert index.correct("lsit") == "list" and index.correct("dtae") == "date"
    assert index.correct("lost") is None  # one letter changed, not swapped: a real word stays itself
    assert index.correct("plna") == "plan" and index.correct("pln") is None

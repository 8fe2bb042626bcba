"""Importers: a Kaggle-shaped CSV folder (BOM, quoted newlines, blanks) and the kit's two SQLite files."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest

from oncall.errors import WorldError
from oncall.world.build import DIRTY_DB, SOURCE_DB, build_world, load_summary
from oncall.world.importers import CSV_FILES, check_kit_db, import_csv
from oncall.world.schema import TABLES, VIEWS, table_ddl

GEO_CAP = 500


def rows_of(db: Path, table: str, limit: int | None = None) -> list[tuple[str, ...]]:
    conn = sqlite3.connect(db)
    try:
        sql = f"SELECT * FROM {table} ORDER BY rowid" + (f" LIMIT {limit}" if limit else "")
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def csv_folder(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small world's clean tables written the way Kaggle ships them."""
    folder = tmp_path_factory.mktemp("kaggle")
    for t in TABLES:
        bom = t.name == "product_category_name_translation"
        with (folder / CSV_FILES[t.name]).open(
            "w", encoding="utf-8-sig" if bom else "utf-8", newline=""
        ) as f:
            # Inline, so mypy reads the constants as the Literal quoting modes csv.writer takes.
            writer = csv.writer(
                f, quoting=csv.QUOTE_ALL if t.name == "olist_order_reviews" else csv.QUOTE_MINIMAL
            )
            writer.writerow(t.columns)
            writer.writerows(
                rows_of(small_world / SOURCE_DB, t.name, GEO_CAP if t.name == "olist_geolocation" else None)
            )
    return folder


def test_fixture_folder_has_the_kaggle_quirks(csv_folder: Path) -> None:
    assert (
        (csv_folder / CSV_FILES["product_category_name_translation"]).read_bytes().startswith(b"\xef\xbb\xbf")
    )
    with (csv_folder / CSV_FILES["olist_order_reviews"]).open(encoding="utf-8", newline="") as f:
        messages = [row[4] for row in csv.reader(f)]
    assert any("\n" in m for m in messages)  # a quoted newline inside a field


def test_csv_import_round_trips_every_value(csv_folder: Path, small_world: Path, tmp_path: Path) -> None:
    dest = tmp_path / "imported.db"
    counts = import_csv(csv_folder, dest, geolocation_rows=GEO_CAP)
    for t in TABLES:
        expected = rows_of(
            small_world / SOURCE_DB, t.name, GEO_CAP if t.name == "olist_geolocation" else None
        )
        assert rows_of(dest, t.name) == expected, t.name
        assert counts[t.name] == len(expected)
    conn = sqlite3.connect(dest)
    blanks = conn.execute("SELECT count(*) FROM olist_products WHERE product_category_name = ''").fetchone()[
        0
    ]
    nulls = conn.execute(
        "SELECT count(*) FROM olist_products WHERE product_category_name IS NULL"
    ).fetchone()[0]
    newlines = conn.execute(
        "SELECT count(*) FROM olist_order_reviews WHERE review_comment_message LIKE '%' || char(10) || '%'"
    ).fetchone()[0]
    conn.close()
    assert blanks > 0 and nulls == 0 and newlines > 0


def test_build_from_csv_applies_the_kit_faults(csv_folder: Path, home: Path) -> None:
    summary = build_world(home, from_csv=csv_folder, geolocation_rows=GEO_CAP)
    assert summary.source == "csv" and summary.source_path == str(csv_folder)
    assert summary.rows["olist_source"]["olist_geolocation"] == GEO_CAP
    customers = summary.rows["olist_source"]["olist_customers"]
    assert summary.faults[0].rows_touched == int(customers * 0.08)


def _copy_folder(src: Path, dest: Path) -> Path:
    dest.mkdir()
    for p in src.iterdir():
        (dest / p.name).write_bytes(p.read_bytes())
    return dest


def test_missing_csv_file_is_named(csv_folder: Path, tmp_path: Path, home: Path) -> None:
    folder = _copy_folder(csv_folder, tmp_path / "partial")
    (folder / CSV_FILES["olist_sellers"]).unlink()
    with pytest.raises(WorldError, match=r"missing file.*olist_sellers_dataset\.csv"):
        build_world(home, from_csv=folder)
    assert list(home.iterdir()) == []


def test_missing_csv_column_is_named(csv_folder: Path, tmp_path: Path) -> None:
    folder = _copy_folder(csv_folder, tmp_path / "renamed")
    path = folder / CSV_FILES["olist_orders"]
    path.write_text(path.read_text(encoding="utf-8").replace("order_status", "status", 1), encoding="utf-8")
    with pytest.raises(WorldError, match=r"olist_orders_dataset\.csv: missing column\(s\) order_status"):
        import_csv(folder, tmp_path / "x.db")


def test_ragged_csv_row_names_the_line(csv_folder: Path, tmp_path: Path) -> None:
    folder = _copy_folder(csv_folder, tmp_path / "ragged")
    path = folder / CSV_FILES["olist_sellers"]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(3, "abc,def\r\n")
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(WorldError, match=r"olist_sellers_dataset\.csv:4: 2 fields where the header has 4"):
        import_csv(folder, tmp_path / "x.db")


def test_non_utf8_csv_is_refused(csv_folder: Path, tmp_path: Path) -> None:
    folder = _copy_folder(csv_folder, tmp_path / "latin1")
    path = folder / CSV_FILES["olist_order_reviews"]
    path.write_bytes(path.read_bytes() + b'"\xe9t\xe9"\r\n')
    with pytest.raises(WorldError, match=r"olist_order_reviews_dataset\.csv"):
        import_csv(folder, tmp_path / "x.db")


# -- kit databases -------------------------------------------------------------------------------------


def test_build_from_kit_dbs_copies_both(small_world: Path, home: Path) -> None:
    summary = build_world(home, from_kit_db=(small_world / SOURCE_DB, small_world / DIRTY_DB))
    original = load_summary(small_world)
    assert original is not None
    assert summary.source == "kit-db"
    assert summary.rows == original.rows
    assert summary.faults == [] and summary.fault_spec is None
    for db in (SOURCE_DB, DIRTY_DB):
        assert rows_of(home / db, "olist_customers") == rows_of(small_world / db, "olist_customers")


def _kit_like(
    path: Path, *, drop_table: str | None = None, drop_column: tuple[str, str] | None = None
) -> Path:
    conn = sqlite3.connect(path)
    for t in TABLES:
        if t.name == drop_table:
            continue
        ddl = table_ddl(t)
        if drop_column and drop_column[0] == t.name:
            ddl = ddl.replace(f'"{drop_column[1]}" TEXT,', "")
        conn.execute(ddl)
    conn.commit()
    conn.close()
    return path


def test_kit_db_without_views_gets_them(tmp_path: Path, home: Path) -> None:
    clean = _kit_like(tmp_path / "olist.db")
    dirty = _kit_like(tmp_path / "olist_dirty.db")
    build_world(home, from_kit_db=(clean, dirty))
    conn = sqlite3.connect(home / SOURCE_DB)
    views = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    conn.close()
    assert views == {v.name for v in VIEWS}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"drop_table": "olist_sellers"}, "missing table olist_sellers"),
        ({"drop_column": ("olist_orders", "order_status")}, r"olist_orders lacks column\(s\) order_status"),
    ],
)
def test_kit_db_with_wrong_tables_is_refused(
    tmp_path: Path, home: Path, small_world: Path, kwargs: dict[str, object], message: str
) -> None:
    wrong = _kit_like(tmp_path / "wrong.db", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(WorldError, match=f"wrong.db: not an Olist kit database: .*{message}"):
        build_world(home, from_kit_db=(small_world / SOURCE_DB, wrong))
    assert list(home.iterdir()) == []


def test_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "olist.db"
    fake.write_text("order_id,customer_id\n" * 200)
    with pytest.raises(WorldError, match="not an SQLite database"):
        check_kit_db(fake)

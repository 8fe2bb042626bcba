"""Load the real data instead of generating it: the Kaggle CSV folder, or the kit's two SQLite files.

CSV import keeps the kit's semantics: every value TEXT, a blank cell `''` (never NULL), the BOM of the
translation file stripped, quoted newlines inside review messages kept. Both importers check their
input completely before writing, and raise `WorldError` naming the missing file, table or column.
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from oncall.errors import WorldError
from oncall.world.schema import TABLES, VIEWS, Table, create_schema

__all__ = ["CSV_FILES", "check_csv_folder", "check_kit_db", "import_csv", "import_kit_db"]

Progress = Callable[[str], None]

CSV_FILES: dict[str, str] = {
    "olist_customers": "olist_customers_dataset.csv",
    "olist_geolocation": "olist_geolocation_dataset.csv",
    "olist_order_items": "olist_order_items_dataset.csv",
    "olist_order_payments": "olist_order_payments_dataset.csv",
    "olist_order_reviews": "olist_order_reviews_dataset.csv",
    "olist_orders": "olist_orders_dataset.csv",
    "olist_products": "olist_products_dataset.csv",
    "olist_sellers": "olist_sellers_dataset.csv",
    "product_category_name_translation": "product_category_name_translation.csv",
}
"""Olist table -> file name in the Kaggle download."""


def _header(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            return next(csv.reader(f), [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise WorldError(f"{path}: cannot read it as UTF-8 CSV: {exc}") from exc


def check_csv_folder(folder: Path) -> None:
    """Every one of the 9 files is there and has every column of its table."""
    if not folder.is_dir():
        raise WorldError(
            f"--from-csv {folder}: not a readable folder; point it at the unzipped Kaggle download"
        )
    missing = [name for name in CSV_FILES.values() if not (folder / name).is_file()]
    if missing:
        raise WorldError(f"--from-csv {folder}: missing file(s) {', '.join(missing)}")
    for t in TABLES:
        header = _header(folder / CSV_FILES[t.name])
        lacking = [c for c in t.columns if c not in header]
        if lacking:
            raise WorldError(f"{folder / CSV_FILES[t.name]}: missing column(s) {', '.join(lacking)}")


def _csv_rows(path: Path, t: Table, limit: int | None) -> Iterator[tuple[str, ...]]:
    """Rows in table column order; blank cells stay ''. Ragged lines raise WorldError with the line."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        pick = [header.index(c) for c in t.columns]
        try:
            for n, row in enumerate(reader):
                if limit is not None and n >= limit:
                    return
                if len(row) != len(header):
                    raise WorldError(
                        f"{path}:{reader.line_num}: {len(row)} fields where the header has {len(header)}"
                    )
                yield tuple(row[i] for i in pick)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise WorldError(f"{path}:{reader.line_num}: {exc}") from exc


def import_csv(
    folder: Path, dest: Path, *, geolocation_rows: int | None = None, progress: Progress | None = None
) -> dict[str, int]:
    """Load the Kaggle CSV folder into a new SQLite file `dest`; returns rows per table."""
    check_csv_folder(folder)
    say = progress or (lambda _msg: None)
    counts: dict[str, int] = {}
    conn = sqlite3.connect(dest, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        create_schema(conn)
        for t in TABLES:
            limit = geolocation_rows if t.name == "olist_geolocation" else None
            marks = ", ".join("?" * len(t.columns))
            conn.executemany(
                f"INSERT INTO {t.name} VALUES ({marks})", _csv_rows(folder / CSV_FILES[t.name], t, limit)
            )
            counts[t.name] = conn.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0]
            say(f"  {t.name}: {counts[t.name]:,} rows from {CSV_FILES[t.name]}")
        conn.execute("COMMIT")
    finally:
        conn.close()
    return counts


def check_kit_db(path: Path) -> None:
    """`path` is an SQLite file with the 9 Olist tables and their columns."""
    if not path.is_file():
        raise WorldError(f"{path}: no such file; pass the kit's olist.db and olist_dirty.db")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            problems = []
            for t in TABLES:
                if t.name not in tables:
                    problems.append(f"missing table {t.name}")
                    continue
                have = {r[1] for r in conn.execute(f'PRAGMA table_info("{t.name}")')}
                lacking = [c for c in t.columns if c not in have]
                if lacking:
                    problems.append(f"{t.name} lacks column(s) {', '.join(lacking)}")
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise WorldError(f"{path}: not an SQLite database ({exc})") from exc
    if problems:
        raise WorldError(f"{path}: not an Olist kit database: {'; '.join(problems)}")


def import_kit_db(src: Path, dest: Path, *, progress: Progress | None = None) -> dict[str, int]:
    """Copy a kit database to `dest` (SQLite backup API) and add any of the 5 views it lacks."""
    check_kit_db(src)
    source = sqlite3.connect(f"{src.resolve().as_uri()}?mode=ro", uri=True)
    target = sqlite3.connect(dest)
    try:
        source.backup(target)
        for v in VIEWS:
            target.execute(v.sql)
        target.commit()
        counts = {t.name: target.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0] for t in TABLES}
    finally:
        source.close()
        target.close()
    if progress:
        progress(f"  copied {src} ({sum(counts.values()):,} rows in 9 tables)")
    return counts

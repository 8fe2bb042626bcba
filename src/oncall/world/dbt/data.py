"""The raw tables of the SaaS world, generated deterministically, and the faults planted in them.

Six raw tables (accounts, plans, subscriptions, invoices, payments, tickets) are generated from one
seeded `random.Random`, written as CSV and loaded into the `raw` schema of the DuckDB warehouse in
one statement each. The faults are SQL on those raw tables: what a broken export or a bad deploy
does upstream of dbt. Each one breaks exactly one dbt test of a staging model.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["FAULTS", "TABLES", "Fault", "RawTable", "apply_faults", "generate", "load_raw"]

_SEGMENTS = ("smb", "mid_market", "enterprise")
_COUNTRIES = ("US", "DE", "FR", "GB", "BR", "IN", "JP", "CA")
_PLANS = (
    (1, "Starter monthly", "starter", 29.0),
    (2, "Pro monthly", "pro", 99.0),
    (3, "Pro annual", "pro", 89.0),
    (4, "Enterprise", "enterprise", 499.0),
)
_STATUSES = ("active", "active", "active", "trialing", "canceled")
_METHODS = ("card", "card", "wire", "paypal")
_PRIORITIES = ("low", "normal", "normal", "high")
_START = dt.date(2025, 1, 1)


@dataclass(frozen=True)
class RawTable:
    """One raw table: its name in schema `raw` and its columns as DuckDB types."""

    name: str
    columns: tuple[tuple[str, str], ...]


TABLES: tuple[RawTable, ...] = (
    RawTable(
        "accounts",
        (
            ("account_id", "INTEGER"),
            ("company_name", "VARCHAR"),
            ("country", "VARCHAR"),
            ("segment", "VARCHAR"),
            ("created_at", "DATE"),
        ),
    ),
    RawTable(
        "plans",
        (("plan_id", "INTEGER"), ("plan_name", "VARCHAR"), ("tier", "VARCHAR"), ("monthly_price", "DOUBLE")),
    ),
    RawTable(
        "subscriptions",
        (
            ("subscription_id", "INTEGER"),
            ("account_id", "INTEGER"),
            ("plan_id", "INTEGER"),
            ("status", "VARCHAR"),
            ("started_at", "DATE"),
            ("canceled_at", "DATE"),
        ),
    ),
    RawTable(
        "invoices",
        (
            ("invoice_id", "INTEGER"),
            ("subscription_id", "INTEGER"),
            ("invoice_date", "DATE"),
            ("amount", "DOUBLE"),
            ("currency", "VARCHAR"),
        ),
    ),
    RawTable(
        "payments",
        (
            ("payment_id", "INTEGER"),
            ("invoice_id", "INTEGER"),
            ("paid_at", "DATE"),
            ("amount", "DOUBLE"),
            ("method", "VARCHAR"),
        ),
    ),
    RawTable(
        "tickets",
        (("ticket_id", "INTEGER"), ("account_id", "INTEGER"), ("opened_at", "DATE"), ("priority", "VARCHAR")),
    ),
)


@dataclass(frozen=True)
class Fault:
    """A fault planted in one raw table; `breaks` says which dbt test it makes fail."""

    name: str
    table: str
    sql: str
    breaks: str
    description: str


FAULTS: tuple[Fault, ...] = (
    Fault(
        "accounts_duplicated",
        "accounts",
        "INSERT INTO raw.accounts SELECT * FROM raw.accounts WHERE account_id % 80 = 0",
        "unique test of stg_accounts.account_id",
        "A CRM re-export appends 1 in 80 accounts a second time.",
    ),
    Fault(
        "invoices_amount_null",
        "invoices",
        "UPDATE raw.invoices SET amount = NULL WHERE invoice_id % 50 = 0",
        "not_null test of stg_invoices.amount",
        "The billing export loses the amount of 2% of invoices.",
    ),
    Fault(
        "subscriptions_unknown_plan",
        "subscriptions",
        "UPDATE raw.subscriptions SET plan_id = 99 WHERE subscription_id % 25 = 0",
        "relationships test of stg_subscriptions.plan_id to stg_plans",
        "4% of subscriptions point at a plan id that the plan table does not have.",
    ),
    Fault(
        "payments_bad_method",
        "payments",
        "UPDATE raw.payments SET method = 'crypto' WHERE payment_id % 40 = 0",
        "accepted_values test of stg_payments.method",
        "A new payment provider sends 'crypto' as the method of 1 in 40 payments.",
    ),
)


def _day(rng: random.Random, start: dt.date, days: int) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(days))


def generate(seed: int = 7, accounts: int = 400) -> dict[str, list[tuple[Any, ...]]]:
    """Rows of every raw table; the same seed gives the same rows."""
    rng = random.Random(seed)
    rows: dict[str, list[tuple[Any, ...]]] = {t.name: [] for t in TABLES}
    rows["plans"] = [tuple(p) for p in _PLANS]
    for a in range(1, accounts + 1):
        created = _day(rng, _START - dt.timedelta(days=365), 365)
        name = f"Company {a:04d} {rng.choice(('Ltd', 'GmbH', 'Inc', 'SA'))}"
        rows["accounts"].append((a, name, rng.choice(_COUNTRIES), rng.choice(_SEGMENTS), created))
    subscription = invoice = payment = 0
    for a in range(1, accounts + 1):
        for _ in range(rng.choice((1, 1, 2))):
            subscription += 1
            plan = rng.choice(_PLANS)
            status = rng.choice(_STATUSES)
            started = _day(rng, _START, 120)
            canceled = started + dt.timedelta(days=rng.randrange(60, 240)) if status == "canceled" else None
            rows["subscriptions"].append((subscription, a, plan[0], status, started, canceled))
            months = 12 if canceled is None else max(1, (canceled - started).days // 30)
            for m in range(months):
                invoice += 1
                day = started + dt.timedelta(days=30 * m)
                rows["invoices"].append((invoice, subscription, day, plan[3], "usd"))
                if rng.random() < 0.92:
                    payment += 1
                    paid = day + dt.timedelta(days=rng.randrange(1, 20))
                    rows["payments"].append((payment, invoice, paid, plan[3], rng.choice(_METHODS)))
    for t in range(1, accounts * 3 + 1):
        account = rng.randrange(1, accounts + 1)
        rows["tickets"].append((t, account, _day(rng, _START, 365), rng.choice(_PRIORITIES)))
    return rows


def load_raw(con: Any, rows: dict[str, list[tuple[Any, ...]]], scratch: Path) -> dict[str, int]:
    """Create schema `raw` on the DuckDB connection `con` and load every table; returns row counts.

    Each table goes through one CSV file and one `read_csv` (row-by-row inserts are far slower).
    """
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    counts = {}
    for table in TABLES:
        path = scratch / f"{table.name}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows[table.name])
        columns = ", ".join(f"'{c}': '{t}'" for c, t in table.columns)
        con.execute(
            f"CREATE OR REPLACE TABLE raw.{table.name} AS SELECT * FROM read_csv(?, header = false, "
            f"columns = {{{columns}}}, nullstr = '')",
            [str(path)],
        )
        counts[table.name] = len(rows[table.name])
        path.unlink()
    return counts


def apply_faults(con: Any, faults: tuple[Fault, ...] = FAULTS) -> dict[str, int]:
    """Plant the faults; returns the rows each touched."""
    touched = {}
    for fault in faults:
        result = con.execute(fault.sql).fetchone()
        touched[fault.name] = int(result[0]) if result else 0
    return touched

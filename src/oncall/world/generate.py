"""Seeded synthetic generator of the Olist world (the kit's clean `olist.db`), at Kaggle scale or smaller.

At `scale=1.0` it reproduces the published facts exactly (olist/FACTS.md): row counts, the purchases-
per-person table, the gaps (775 orders without items, 1 without payment, 768 without review), the
category dictionary, the status/payment/installment/score/month distributions. A smaller `scale`
shrinks every count proportionally (rounded half up, at least one row per table); the category
dictionary (73 categories, 71 translations) is a lookup table and shrinks only when there are fewer
products than categories.

Kit semantics: every value is TEXT and a missing value is `''`, never NULL, so the clean world has no
NULLs at all (faults introduce them). Ids are 32-char lowercase hex.

Determinism: each table draws from its own `random.Random(f"{seed}:{table}")`, rows are inserted in a
fixed order and the file is written by one connection, so the same seed gives byte-identical files.
"""

from __future__ import annotations

import calendar
import math
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from oncall.world import _data as facts
from oncall.world.schema import TABLES, create_schema

__all__ = ["apportion", "generate", "scaled"]

K = TypeVar("K")
Progress = Callable[[str], None]

_DAY = 86_400


def scaled(n: int, scale: float) -> int:
    """`n * scale` rounded half up (exact at scale 1.0)."""
    return int(n * scale + 0.5)


def apportion(weights: Sequence[tuple[K, int]], total: int) -> list[tuple[K, int]]:
    """Split `total` in proportion to integer weights (largest remainder, ties by position).

    Exact integer arithmetic, so when `total` equals the sum of the weights each key gets its weight.
    """
    wsum = sum(w for _, w in weights)
    if total <= 0 or wsum <= 0:
        return [(k, 0) for k, _ in weights]
    shares = [(w * total) // wsum for _, w in weights]
    rest = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-((weights[i][1] * total) % wsum), i))
    for i in order[:rest]:
        shares[i] += 1
    return [(k, shares[i]) for i, (k, _) in enumerate(weights)]


def _expand(counts: Iterable[tuple[K, int]]) -> list[K]:
    return [k for k, n in counts for _ in range(n)]


def _ts(epoch: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


def _day(epoch: int) -> str:
    return time.strftime("%Y-%m-%d 00:00:00", time.gmtime(epoch))


def _epoch(text: str) -> int:
    return calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S"))


def _between(rng: random.Random, lo: int, hi: int) -> int:
    """Uniform integer in [lo, hi]; a few times faster than randint in the hot loops."""
    return lo + int(rng.random() * (hi - lo + 1))


def _lognormal(rng: random.Random, median: float, sigma: float, lo: float, hi: float) -> float:
    return min(hi, max(lo, median * math.exp(rng.gauss(0.0, sigma))))


def _full_category_counts() -> list[tuple[str, int]]:
    """Products per non-blank category at full scale: published top 10, a decaying tail, 2 untranslated."""
    tail = [name for name, _ in facts.TRANSLATIONS if name not in facts.TOP_CATEGORIES]
    tail_total = (
        facts.PRODUCTS
        - facts.BLANK_CATEGORY_PRODUCTS
        - sum(facts.TOP_CATEGORIES.values())
        - sum(facts.UNTRANSLATED.values())
    )
    weights = [(name, int(1_000_000 * 0.92**i)) for i, name in enumerate(tail)]
    tail_counts = [(n, 1 + c) for n, c in apportion(weights, tail_total - len(tail))]
    top = [(n, facts.TOP_CATEGORIES[n]) for n, _ in facts.TRANSLATIONS if n in facts.TOP_CATEGORIES]
    return top + tail_counts + list(facts.UNTRANSLATED.items())


@dataclass
class _Zip:
    code: str
    city: str
    state: str
    lat: float
    lng: float


@dataclass
class _Orders:
    """What later tables need to know about each order (indexed by insertion position)."""

    ids: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    purchase: list[int] = field(default_factory=list)
    approved: list[int | None] = field(default_factory=list)
    delivered: list[int | None] = field(default_factory=list)
    estimated: list[int] = field(default_factory=list)


class _Generator:
    """Writes the 9 tables in a fixed order on one connection."""

    def __init__(
        self, conn: sqlite3.Connection, scale: float, seed: int, geo_rows: int, progress: Progress
    ) -> None:
        self.conn = conn
        self.scale = scale
        self.seed = seed
        self.geo_rows = geo_rows
        self.progress = progress
        self.counts: dict[str, int] = {}
        self._seen: set[str] = set()
        self.zips: list[_Zip] = []
        self.zips_by_state: dict[str, list[_Zip]] = {}
        self.seller_ids: list[str] = []
        self.category_plan: list[tuple[str, int]] = []
        self.product_ids: list[str] = []
        self.product_seller: list[int] = []
        self.product_price: list[float] = []
        self.orders = _Orders()
        self.order_total: list[float] = []

    # -- helpers ----------------------------------------------------------------------------------
    def rng(self, name: str) -> random.Random:
        return random.Random(f"{self.seed}:{name}")

    def sc(self, n: int, minimum: int = 0) -> int:
        return max(minimum, scaled(n, self.scale))

    def new_id(self, rng: random.Random) -> str:
        while True:
            value = f"{rng.getrandbits(128):032x}"
            if value not in self._seen:
                self._seen.add(value)
                return value

    def insert(self, table: str, rows: Iterable[tuple[object, ...]]) -> None:
        ncols = len(next(t for t in TABLES if t.name == table).columns)
        counted = _Counter(rows)
        sql = f"INSERT INTO {table} VALUES ({', '.join('?' * ncols)})"
        self.conn.executemany(sql, counted)
        self.counts[table] = counted.n
        self.progress(f"  {table}: {counted.n:,} rows")

    def zip_in(self, state: str, rng: random.Random) -> _Zip:
        pool = self.zips_by_state.get(state)
        if pool:
            return pool[int(len(pool) * rng.random() ** 1.5)]
        return self.zips[rng.randrange(len(self.zips))]

    # -- tables -----------------------------------------------------------------------------------
    def run(self) -> dict[str, int]:
        self.make_zips()
        self.translations_and_products_plan()
        self.sellers()
        self.products()
        self.customers_and_orders()
        self.items()
        self.payments()
        self.reviews()
        self.geolocation()
        return self.counts

    def make_zips(self) -> None:
        """The zip-prefix pool shared by geolocation, customers and sellers (19,015 at full scale)."""
        rng = self.rng("zips")
        nzips = self.sc(facts.GEO_ZIPS, 1)
        for state, k in self._zips_per_state(nzips):
            _, _, ranges, lat, lng, cities = facts.STATES[state]
            numbers = [n for lo, hi in ranges for n in range(lo, hi + 1)]
            codes = sorted(rng.sample(numbers, k))
            pool = []
            for code in codes:
                city = cities[int(len(cities) * rng.random() ** 2.5)]
                pool.append(
                    _Zip(f"{code:05d}", city, state, lat + rng.uniform(-2, 2), lng + rng.uniform(-2, 2))
                )
            self.zips_by_state[state] = pool
            self.zips.extend(pool)

    @staticmethod
    def _zips_per_state(nzips: int) -> list[tuple[str, int]]:
        """Zips per state, flattened from customer counts and capped by each state's zip range."""
        capacity = {st: sum(hi - lo + 1 for lo, hi in v[2]) for st, v in facts.STATES.items()}
        fixed: dict[str, int] = {}
        while True:
            open_states = [(st, int(v[0] ** 0.6)) for st, v in facts.STATES.items() if st not in fixed]
            shares = dict(apportion(open_states, nzips - sum(fixed.values())))
            full = {st: capacity[st] for st, k in shares.items() if k > capacity[st]}
            if not full:
                return [(st, fixed.get(st, shares.get(st, 0))) for st in facts.STATES]
            fixed.update(full)

    def translations_and_products_plan(self) -> None:
        """Choose the categories in use and write the translation table."""
        nproducts = self.sc(facts.PRODUCTS, 1)
        blank = min(self.sc(facts.BLANK_CATEGORY_PRODUCTS), nproducts - 1)
        nonblank = nproducts - blank
        full = _full_category_counts()
        translated = [(n, c) for n, c in full if n not in facts.UNTRANSLATED]
        untranslated = [(n, c) for n, c in full if n in facts.UNTRANSLATED]
        if nonblank >= len(full):
            used = full
        elif nonblank >= 3:
            used = translated[: nonblank - 2] + untranslated
        else:
            used = translated[:nonblank]
        per_cat = [(n, 1 + c) for n, c in apportion([(n, c - 1) for n, c in used], nonblank - len(used))]
        self.category_plan = [("", blank), *per_cat]
        english = dict(facts.TRANSLATIONS)
        names = [n for n, _ in used if n in english] or [facts.TRANSLATIONS[0][0]]
        self.insert("product_category_name_translation", ((n, english[n]) for n in names))

    def sellers(self) -> None:
        rng = self.rng("sellers")
        nsellers = self.sc(facts.SELLERS, 1)
        states = _expand(apportion([(st, v[1]) for st, v in facts.STATES.items()], nsellers))
        rng.shuffle(states)
        rows = []
        for state in states:
            seller_id = self.new_id(rng)
            z = self.zip_in(state, rng)
            self.seller_ids.append(seller_id)
            rows.append((seller_id, z.code, z.city, z.state))
        self.insert("olist_sellers", rows)

    def products(self) -> None:
        rng = self.rng("products")
        categories = _expand(self.category_plan)
        rng.shuffle(categories)
        nsellers = len(self.seller_ids)
        homes = list(range(nsellers))
        rng.shuffle(homes)
        zero_weight = self.sc(facts.ZERO_WEIGHT_PRODUCTS)
        no_size = self.sc(facts.PRODUCTS_WITHOUT_SIZE)
        rows = []
        for i, category in enumerate(categories):
            product_id = self.new_id(rng)
            # Every seller is the home seller of some product, so every seller sells.
            home = homes[i] if i < nsellers else int(nsellers * rng.random() ** 2.5)
            self.product_ids.append(product_id)
            self.product_seller.append(home)
            self.product_price.append(_lognormal(rng, 75.0, 0.87, 0.85, 6735.0))
            described = (
                ("", "", "")
                if category == ""
                else (
                    str(_between(rng, 5, 76)),
                    str(_between(rng, 4, 3992)),
                    str(1 + int(rng.expovariate(0.6))),
                )
            )
            weight = str(int(_lognormal(rng, 700.0, 1.2, 2.0, 40_425.0)))
            dims = tuple(str(int(_lognormal(rng, m, 0.5, 2.0, 105.0))) for m in (25.0, 13.0, 20.0))
            if category == facts.ZERO_WEIGHT_CATEGORY and zero_weight > 0:
                weight, zero_weight = "0", zero_weight - 1
            elif category not in ("", facts.ZERO_WEIGHT_CATEGORY) and no_size > 0:
                weight, dims, no_size = "", ("", "", ""), no_size - 1
            rows.append((product_id, category, *described, weight, *dims))
        self.insert("olist_products", rows)

    def customers_and_orders(self) -> None:
        rng = self.rng("orders")
        norders = self.sc(facts.ORDERS, 1)
        people = self._people(norders)
        state_of = _expand(apportion([(st, v[0]) for st, v in facts.STATES.items()], len(people)))
        rng.shuffle(state_of)
        persons = [(self.new_id(rng), self.zip_in(state_of[p], rng)) for p in range(len(people))]
        order_person = _expand(enumerate(people))
        rng.shuffle(order_person)
        customers = []
        for p in order_person:
            unique_id, z = persons[p]
            customers.append((self.new_id(rng), unique_id, z.code, z.city, z.state))
        self.insert("olist_customers", customers)
        self._orders([c[0] for c in customers], rng)

    def _people(self, norders: int) -> list[int]:
        """Orders per person from the purchases-per-person table.

        The number of persons (96,096 at full scale) is kept exact: buyers of 3+ orders are rounded,
        then the two-order buyers are solved for; single buyers take the rest.
        """
        persons = min(norders, self.sc(96_096, 1))
        many = {k: self.sc(n) for k, n in facts.PURCHASES_PER_PERSON.items() if k > 2}
        while sum((k - 1) * n for k, n in many.items()) > norders - persons:
            many[max(k for k, n in many.items() if n)] -= 1  # tiny scales: drop the biggest buyers
        many[2] = norders - persons - sum((k - 1) * n for k, n in many.items())
        singles = persons - sum(many.values())
        if singles < 0:  # more repeat buyers than persons: fall back to single buyers absorbing it
            many = {k: 0 for k in many}
            singles = norders
        return [1] * singles + _expand(sorted(many.items()))

    def _orders(self, customer_ids: list[str], rng: random.Random) -> None:
        n = len(customer_ids)
        status = _expand(apportion(list(facts.ORDER_STATUS.items()), n))
        rng.shuffle(status)
        purchase = self._purchase_times(n, rng)
        rng.shuffle(purchase)
        nulls = self._null_sets(status, rng)
        o = self.orders
        rows = []
        for i, customer_id in enumerate(customer_ids):
            bought = purchase[i]
            approved = None if i in nulls["approved"] else bought + _between(rng, 600, 2 * _DAY)
            carrier = None if i in nulls["carrier"] else (approved or bought) + _between(rng, _DAY, 5 * _DAY)
            delivered = (
                None
                if i in nulls["delivered"]
                else (carrier or approved or bought) + _between(rng, _DAY, 20 * _DAY)
            )
            estimated = bought + _between(rng, 10, 40) * _DAY
            order_id = self.new_id(rng)
            o.ids.append(order_id)
            o.status.append(status[i])
            o.purchase.append(bought)
            o.approved.append(approved)
            o.delivered.append(delivered)
            o.estimated.append(estimated)
            rows.append(
                (
                    order_id,
                    customer_id,
                    status[i],
                    _ts(bought),
                    _ts(approved) if approved else "",
                    _ts(carrier) if carrier else "",
                    _ts(delivered) if delivered else "",
                    _day(estimated),
                )
            )
        self.insert("olist_orders", rows)
        self.order_total = [0.0] * n

    def _purchase_times(self, n: int, rng: random.Random) -> list[int]:
        """Purchase epochs following the monthly table, pinned to the first and last published times."""
        first, last = _epoch(facts.FIRST_PURCHASE), _epoch(facts.LAST_PURCHASE)
        times: list[int] = []
        for month, count in apportion(list(facts.ORDERS_PER_MONTH.items()), n):
            year, mon = (int(x) for x in month.split("-"))
            start = max(first, calendar.timegm((year, mon, 1, 0, 0, 0)))
            end_day = calendar.monthrange(year, mon)[1]
            end = min(last, calendar.timegm((year, mon, end_day, 23, 59, 59)))
            stamps = [_between(rng, start, end) for _ in range(count)]
            if stamps and start == first:
                stamps[0] = first
            if stamps and end == last:
                stamps[-1] = last
            times.extend(stamps)
        return times

    def _null_sets(self, status: list[str], rng: random.Random) -> dict[str, set[int]]:
        """Which orders get a blank approved / carrier / delivered timestamp (per-status shares)."""
        by_status: dict[str, list[int]] = {}
        for i, s in enumerate(status):
            by_status.setdefault(s, []).append(i)
        out: dict[str, set[int]] = {}
        for name, table in (
            ("approved", facts.NULL_APPROVED),
            ("carrier", facts.NULL_CARRIER),
            ("delivered", facts.NULL_DELIVERED),
        ):
            chosen: set[int] = set()
            for s, full_nulls in table.items():
                members = by_status.get(s, [])
                k = min(
                    len(members),
                    (full_nulls * len(members) * 2 + facts.ORDER_STATUS[s]) // (2 * facts.ORDER_STATUS[s]),
                )
                chosen.update(rng.sample(members, k))
            out[name] = chosen
        return out

    def items(self) -> None:
        rng = self.rng("items")
        o = self.orders
        norders = len(o.ids)
        nitems = self.sc(facts.ITEMS, 1)
        itemless = min(self.sc(facts.ORDERS_WITHOUT_ITEMS), norders - 1)
        itemless = max(itemless, norders - nitems)
        per_order = self._items_per_order(norders - itemless, nitems, rng)
        without = self._pick_itemless(itemless, rng)
        nproducts = len(self.product_ids)
        sold = list(range(nproducts)) + [
            int(nproducts * rng.random() ** 2) for _ in range(nitems - nproducts)
        ]
        rng.shuffle(sold)
        rows = []
        k = 0
        counts = iter(per_order)
        for i in range(norders):
            if i in without:
                continue
            base = o.approved[i] or o.purchase[i]
            for item_no in range(1, next(counts) + 1):
                product = sold[k]
                k += 1
                price = round(self.product_price[product], 2)
                freight = round(_lognormal(rng, 16.26, 0.64, 0.0, 409.68), 2)
                self.order_total[i] += price + freight
                shipping = base + 6 * _DAY + _between(rng, 0, 3 * _DAY)
                rows.append(
                    (
                        o.ids[i],
                        str(item_no),
                        self.product_ids[product],
                        self.seller_ids[self.product_seller[product]],
                        _ts(shipping),
                        f"{price:.2f}",
                        f"{freight:.2f}",
                    )
                )
        self.insert("olist_order_items", rows)

    def _items_per_order(self, norders: int, nitems: int, rng: random.Random) -> list[int]:
        """Items per order: orders with exactly k items from the order_item_id table, summing to nitems."""
        rows_with = facts.ORDER_ITEM_ROWS
        exactly = {k: rows_with[k] - rows_with.get(k + 1, 0) for k in rows_with}
        counts = {k: self.sc(n) for k, n in exactly.items() if k > 1}
        counts[1] = norders - sum(counts.values())
        while counts[1] < 0:  # tiny scales: drop the biggest orders first
            big = max(k for k, n in counts.items() if k > 1 and n > 0)
            counts[big] -= 1
            counts[1] += 1
        diff = nitems - sum(k * n for k, n in counts.items())
        # Rounding leaves the item total a few rows off: grow the smallest or shrink the smallest
        # multi-item orders one item at a time.
        while diff > 0:
            k = min(k for k, n in counts.items() if n > 0)
            counts[k] -= 1
            counts[k + 1] = counts.get(k + 1, 0) + 1
            diff -= 1
        while diff < 0:
            k = min(k for k, n in counts.items() if n > 0 and k > 1)
            counts[k] -= 1
            counts[k - 1] += 1
            diff += 1
        per_order = _expand(sorted(counts.items()))
        rng.shuffle(per_order)
        return per_order

    def _pick_itemless(self, k: int, rng: random.Random) -> set[int]:
        """Orders without items: unavailable, canceled and created orders first, as in the real data."""
        o = self.orders
        preferred = [i for i, s in enumerate(o.status) if s in facts.ITEMLESS_STATUSES]
        rng.shuffle(preferred)
        chosen = preferred[:k]
        if len(chosen) < k:
            others = [i for i, s in enumerate(o.status) if s not in facts.ITEMLESS_STATUSES]
            chosen += rng.sample(others, k - len(chosen))
        return set(chosen)

    def payments(self) -> None:
        rng = self.rng("payments")
        o = self.orders
        norders = len(o.ids)
        nrows = self.sc(facts.PAYMENTS, 1)
        unpaid = set(rng.sample(range(norders), min(self.sc(facts.ORDERS_WITHOUT_PAYMENT), norders - 1)))
        paying = [i for i in range(norders) if i not in unpaid][:nrows]
        per_order = self._payments_per_order(paying, nrows, rng)
        slots = [(i, seq) for i in paying for seq in range(1, per_order.get(i, 1) + 1)]
        types = self._payment_types(slots, rng)
        installments = self._installments(types, rng)
        values = self._payment_values(slots, types, rng)
        rows = (
            (o.ids[i], str(seq), types[r], str(installments[r]), f"{values[r]:.2f}")
            for r, (i, seq) in enumerate(slots)
        )
        self.insert("olist_order_payments", rows)

    def _payments_per_order(self, paying: list[int], nrows: int, rng: random.Random) -> dict[int, int]:
        extra = nrows - len(paying)
        if extra <= 0:
            return {}
        multi = min(extra, len(paying), max(1, self.sc(facts.MULTI_PAYMENT_ORDERS)))
        chosen = rng.sample(paying, multi)
        longest = min(facts.MAX_PAYMENT_SEQUENTIAL - 1, extra - (multi - 1))
        counts = {chosen[0]: 1 + longest}
        rest = extra - longest
        for j, i in enumerate(chosen[1:]):
            counts[i] = 1 + rest // (multi - 1) + (1 if j < rest % (multi - 1) else 0)
        return counts

    def _payment_types(self, slots: list[tuple[int, int]], rng: random.Random) -> list[str]:
        """Types in exact proportion; the 2nd+ payments of an order are vouchers while vouchers last."""
        pool = dict(apportion(list(facts.PAYMENT_TYPES.items()), len(slots)))
        extra = sum(1 for _, seq in slots if seq > 1)
        vouchers = min(extra, pool["voucher"])
        pool["voucher"] -= vouchers
        rest = _expand(pool.items())
        rng.shuffle(rest)
        out = []
        for _, seq in slots:
            if seq > 1 and vouchers > 0:
                out.append("voucher")
                vouchers -= 1
            else:
                out.append(rest.pop())
        return out

    def _installments(self, types: list[str], rng: random.Random) -> list[int]:
        """Installment counts in exact proportion; only credit cards pay in more (or zero) installments."""
        counts = apportion(list(facts.INSTALLMENTS.items()), len(types))
        special = _expand((k, n) for k, n in counts if k != 1)
        credit = [r for r, t in enumerate(types) if t == "credit_card"]
        others = [r for r, t in enumerate(types) if t != "credit_card"]
        plan = special + [1] * max(0, len(credit) - len(special))
        rng.shuffle(plan)
        out = [1] * len(types)
        targets = credit + others  # spill onto other types only if credit cards run out
        for r, value in zip(targets, plan, strict=False):
            out[r] = value
        return out

    def _payment_values(
        self, slots: list[tuple[int, int]], types: list[str], rng: random.Random
    ) -> list[float]:
        """Each order's payments add up to its items' price + freight; a few voucher rows are zero."""
        by_order: dict[int, list[int]] = {}
        for r, (i, _) in enumerate(slots):
            by_order.setdefault(i, []).append(r)
        values = [0.0] * len(slots)
        for i, rows in by_order.items():
            total = self.order_total[i] or _lognormal(rng, 100.0, 0.9, 10.0, 13_664.08)
            shares = [rng.random() + 0.2 for _ in rows]
            norm = sum(shares)
            for r, share in zip(rows, shares, strict=True):
                values[r] = round(total * share / norm, 2)
        zeros = [r for r, t in enumerate(types) if t == "not_defined"]
        zeros += [r for r, t in enumerate(types) if t == "voucher"]
        for r in zeros[: self.sc(facts.ZERO_VALUE_PAYMENTS)]:
            values[r] = 0.0
        return values

    def reviews(self) -> None:
        rng = self.rng("reviews")
        o = self.orders
        norders = len(o.ids)
        nrows = self.sc(facts.REVIEWS, 1)
        unreviewed = min(self.sc(facts.ORDERS_WITHOUT_REVIEW), norders - 1)
        reviewed = sorted(rng.sample(range(norders), norders - unreviewed))[:nrows]
        extra = nrows - len(reviewed)
        multi = min(extra, max(1 if extra else 0, self.sc(facts.ORDERS_WITH_MANY_REVIEWS)), len(reviewed))
        repeat = rng.sample(reviewed, multi)
        order_of_row = list(reviewed)
        for j in range(extra):
            order_of_row.append(repeat[j % multi])
        rng.shuffle(order_of_row)
        review_ids = self._review_ids(order_of_row, rng)
        scores = _expand(apportion(list(facts.REVIEW_SCORES.items()), nrows))
        rng.shuffle(scores)
        titled = self._flags(nrows, nrows - min(nrows, self.sc(facts.NULL_REVIEW_TITLES)), rng)
        messaged = self._flags(nrows, nrows - min(nrows, self.sc(facts.NULL_REVIEW_MESSAGES)), rng)
        rows = []
        for r, i in enumerate(order_of_row):
            created = (o.delivered[i] or o.estimated[i]) + _between(rng, 0, 3) * _DAY
            created -= created % _DAY
            answered = created + _between(rng, 3_600, 5 * _DAY)
            title = rng.choice(facts.REVIEW_TITLES) if titled[r] else ""
            message = rng.choice(facts.REVIEW_MESSAGES) if messaged[r] else ""
            rows.append(
                (review_ids[r], o.ids[i], str(scores[r]), title, message, _day(created), _ts(answered))
            )
        self.insert("olist_order_reviews", rows)

    def _review_ids(self, order_of_row: list[int], rng: random.Random) -> list[str]:
        """Distinct ids for most rows; the rest reuse a few shared ids, never twice on one order."""
        nrows = len(order_of_row)
        distinct = min(nrows, self.sc(facts.DISTINCT_REVIEW_IDS, 1))
        dup = nrows - distinct
        shared = min(dup, max(1 if dup else 0, self.sc(facts.SHARED_REVIEW_IDS)))
        ids = [self.new_id(rng) for _ in range(distinct)]
        used = {(ids[r], order_of_row[r]) for r in range(distinct)}
        out = list(ids)
        for j in range(dup):
            rid = ids[j % shared] if j < shared else ids[rng.randrange(shared)]
            r = distinct + j
            # Swap with a later row whose order does not already carry this id.
            swap = r
            while (rid, order_of_row[swap]) in used and swap + 1 < nrows:
                swap += 1
            order_of_row[r], order_of_row[swap] = order_of_row[swap], order_of_row[r]
            used.add((rid, order_of_row[r]))
            out.append(rid)
        return out

    @staticmethod
    def _flags(n: int, true_count: int, rng: random.Random) -> list[bool]:
        flags = [True] * true_count + [False] * (n - true_count)
        rng.shuffle(flags)
        return flags

    def geolocation(self) -> None:
        self.insert("olist_geolocation", self._geo_rows())

    def _geo_rows(self) -> Iterator[tuple[str, str, str, str, str]]:
        """Every zip once, then random zips; points scattered around the zip's centre (hot loop)."""
        rng = self.rng("geolocation")
        rand = rng.random
        n = self.geo_rows
        outside = (facts.GEO_OUTSIDE_BRAZIL * n * 2 + facts.GEOLOCATION) // (2 * facts.GEOLOCATION)
        every = n // outside if outside else n + 1
        zips = self.zips
        nzips = len(zips)
        for r in range(n):
            z = zips[r] if r < nzips else zips[int(rand() * nzips)]
            if r % every == every - 1 and r // every < outside:
                lat, lng = 38.0 + 4.0 * rand(), -9.0 + 2.0 * rand()  # stray points in Portugal
            else:
                # Sum of two uniforms: a cheap bell-shaped scatter of about +-7 km.
                lat = z.lat + (rand() + rand() - 1.0) * 0.07
                lng = z.lng + (rand() + rand() - 1.0) * 0.07
            yield (z.code, f"{lat:.14f}", f"{lng:.14f}", z.city, z.state)


class _Counter:
    """Iterator wrapper that counts what executemany consumed."""

    def __init__(self, rows: Iterable[tuple[object, ...]]) -> None:
        self._it = iter(rows)
        self.n = 0

    def __iter__(self) -> _Counter:
        return self

    def __next__(self) -> tuple[object, ...]:
        row = next(self._it)
        self.n += 1
        return row


def generate(
    path: Path,
    *,
    scale: float = 1.0,
    seed: int = 42,
    geolocation_rows: int | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write a clean Olist world to a new SQLite file at `path`; returns rows per table.

    Args:
        path: the file to create (must not exist).
        scale: fraction of the Kaggle row counts (1.0 = exact facts).
        seed: the same seed gives a byte-identical file.
        geolocation_rows: cap on olist_geolocation (default: 1,000,163 x scale).
        progress: called with a line per table.
    """
    if not 0 < scale <= 1:
        raise ValueError(f"scale must be in (0, 1], got {scale}")
    geo = max(1, scaled(facts.GEOLOCATION, scale))
    if geolocation_rows is not None:
        geo = max(1, min(geo, geolocation_rows))
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        create_schema(conn)
        gen = _Generator(conn, scale, seed, geo, progress or (lambda _msg: None))
        counts = gen.run()
        conn.execute("COMMIT")
    finally:
        conn.close()
    return {t.name: counts[t.name] for t in TABLES}

"""What changed between two kept publications: per mart rows added, removed and changed (by the mart's grain), and
the certified revenue's difference per business day and currency (minor units)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from northstar.marts.publication import Publication, get_publication
from northstar.settings import Settings
from northstar.warehouse import Warehouse, open_warehouse

META_COLUMNS = frozenset({"_GATE_BATCH_ID"})  # differ between any two publications by construction


@dataclass(frozen=True)
class MartDiff:
    """One mart relation present in both publications; changed rows share a grain key with different values."""

    relation: str
    grain: tuple[str, ...]
    rows_a: int
    rows_b: int
    added: int
    removed: int
    changed: int


@dataclass(frozen=True)
class RevenueDiff:
    """Net revenue of one business day and currency in A and in B (minor units; None: no row)."""

    business_date: date
    currency: str
    net_a: int | None
    net_b: int | None

    @property
    def difference_minor(self) -> int:
        return (self.net_b or 0) - (self.net_a or 0)


def diff_publications(settings: Settings, a: str, b: str) -> tuple[list[MartDiff], list[RevenueDiff]]:
    """Compare publication a with b (both kept: their schemas exist)."""
    with open_warehouse(settings) as wh:
        pub_a, pub_b = get_publication(wh, a), get_publication(wh, b)
        marts = [_diff_relation(wh, pub_a, pub_b, rel, grain) for rel, grain in _common(pub_a, pub_b)]
        return marts, _revenue(wh, pub_a, pub_b)


def _common(a: Publication, b: Publication) -> list[tuple[str, tuple[str, ...]]]:
    """Each versioned relation both publications hold, with its model's grain."""
    out = []
    for name, entry in sorted(b.model_versions.items()):
        if name not in a.model_versions:
            continue
        grain = tuple(str(c).upper() for c in entry.get("grain", []))
        for version in sorted(set(entry["versions"]) & set(a.model_versions[name]["versions"]), key=str):
            out.append((f"{name}_v{version}".upper(), grain))
    return out


def _columns(wh: Warehouse, relation: str) -> list[str]:
    with wh.conn.cursor() as cur:
        cur.execute(f"SELECT * FROM {relation} LIMIT 0")  # names from the ledger and manifest, checked upstream
        return [str(d[0]).upper() for d in cur.description]


def _diff_relation(wh: Warehouse, a: Publication, b: Publication, relation: str, grain: tuple[str, ...]) -> MartDiff:
    ta, tb = f"{a.schema_name}.{relation}", f"{b.schema_name}.{relation}"
    cols_b = set(_columns(wh, tb))
    cols = [c for c in _columns(wh, ta) if c in cols_b and c not in META_COLUMNS]
    keys = [k for k in grain if k in cols] or cols
    select = ", ".join(cols)
    on = " AND ".join(f"x.{k} = y.{k}" for k in keys)
    first = keys[0]
    row = wh.query(
        f"""WITH a AS (SELECT {select} FROM {ta}), b AS (SELECT {select} FROM {tb}),
        a_only AS (SELECT * FROM a EXCEPT SELECT * FROM b), b_only AS (SELECT * FROM b EXCEPT SELECT * FROM a)
        SELECT (SELECT count(*) FROM a) AS ROWS_A, (SELECT count(*) FROM b) AS ROWS_B,
               (SELECT count(*) FROM b AS x LEFT JOIN a AS y ON {on} WHERE y.{first} IS NULL) AS ADDED,
               (SELECT count(*) FROM a AS x LEFT JOIN b AS y ON {on} WHERE y.{first} IS NULL) AS REMOVED,
               (SELECT count(*) FROM a_only AS x JOIN b_only AS y ON {on}) AS CHANGED"""
    )[0]
    return MartDiff(relation, tuple(keys), *(int(row[k]) for k in ("ROWS_A", "ROWS_B", "ADDED", "REMOVED", "CHANGED")))


def _revenue(wh: Warehouse, a: Publication, b: Publication) -> list[RevenueDiff]:
    """Days and currencies whose certified net revenue differs (the latest version both hold)."""
    va = set(a.model_versions.get("fct_daily_revenue", {}).get("versions", []))
    vb = set(b.model_versions.get("fct_daily_revenue", {}).get("versions", []))
    common = sorted(va & vb, key=str)
    if not common:
        return []
    rel = f"FCT_DAILY_REVENUE_V{common[-1]}"
    rows = wh.query(
        f"""SELECT coalesce(x.BUSINESS_DATE, y.BUSINESS_DATE) AS BUSINESS_DATE,
                   coalesce(x.CURRENCY, y.CURRENCY) AS CURRENCY, x.NET_REVENUE_MINOR AS NET_A,
                   y.NET_REVENUE_MINOR AS NET_B
            FROM {a.schema_name}.{rel} AS x
            FULL JOIN {b.schema_name}.{rel} AS y ON x.BUSINESS_DATE = y.BUSINESS_DATE AND x.CURRENCY = y.CURRENCY
            WHERE x.NET_REVENUE_MINOR IS DISTINCT FROM y.NET_REVENUE_MINOR
            ORDER BY 1, 2"""
    )
    return [RevenueDiff(r["BUSINESS_DATE"], r["CURRENCY"], _int(r["NET_A"]), _int(r["NET_B"])) for r in rows]


def _int(value: Any) -> int | None:
    return None if value is None else int(value)

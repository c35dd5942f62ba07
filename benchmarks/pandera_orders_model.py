"""The orders contract as a pandera DataFrameModel over polars, for benchmarks/pandera_orders_validation.py.

Only that benchmark imports this module: pandera and polars are not project dependencies. The nine checks
are the project's ORDERS_ROW_CHECKS + ORDERS_DUPLICATE_CHECKS with the same semantics; column checks report
under the column's check id, dataframe checks under their own name. No `from __future__ import annotations`:
pandera reads the field types from the class's annotations at runtime.
"""

from datetime import UTC, datetime
from pathlib import Path

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from benchmarks.pandera_orders_validation import CHECKS, COLUMNS, ERRORS, WINDOW_END
from validators.contracts import ISO_4217, ORDER_STATUSES
from validators.schema import ORDERS_ROW_CHECKS

CONTENT = pl.struct("customer_id", "status", "currency", "total_amount_minor", "created_at").hash()
VERSION_KEY = ["order_id", "updated_at"]
TIMESTAMP = pl.Datetime(time_unit="us", time_zone="UTC")


class Orders(pa.DataFrameModel):
    """The orders contract: columns, types, nullability, accepted values, and the row rules as dataframe checks."""

    order_id: int = pa.Field(nullable=False)
    customer_id: int = pa.Field(nullable=False)
    status: str = pa.Field(nullable=False, isin=list(ORDER_STATUSES))
    currency: str = pa.Field(nullable=False, isin=sorted(ISO_4217))
    total_amount_minor: int = pa.Field(nullable=False, ge=0)
    created_at: TIMESTAMP = pa.Field(nullable=True)  # type: ignore[valid-type]
    updated_at: TIMESTAMP = pa.Field(nullable=True)  # type: ignore[valid-type]

    @pa.dataframe_check(name="schema.timestamps_sane")
    def timestamps_sane(cls, data: PolarsData) -> pl.LazyFrame:
        c, u = pl.col("created_at"), pl.col("updated_at")
        ok = (c >= datetime(2000, 1, 1, tzinfo=UTC)) & (c <= u) & (u < WINDOW_END)
        return data.lazyframe.select(ok.fill_null(False))

    @pa.dataframe_check(name="duplicates.conflicting_version")
    def conflicting_version(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(CONTENT.min().over(VERSION_KEY) == CONTENT.max().over(VERSION_KEY))

    @pa.dataframe_check(name="duplicates.exact_repeat")
    def exact_repeat(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.int_range(pl.len()).over(list(COLUMNS)) == 0)

    @pa.dataframe_check(name="duplicates.superseded_version")
    def superseded_version(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("updated_at") >= pl.col("updated_at").max().over("order_id"))

    class Config:
        strict = True


def run_pandera(path: Path, folder: Path) -> dict[str, int]:
    """The same checks declared as a pandera DataFrameModel over polars; failures per check."""
    by_column = {c.column: c.check_id for c in ORDERS_ROW_CHECKS if c.kind is not None}
    df = pl.read_parquet(path)
    try:
        Orders.validate(df, lazy=True)
        cases = pl.DataFrame({"check": [], "column": [], "index": []}, schema={"check": pl.Utf8, "column": pl.Utf8,
                                                                               "index": pl.Int32})  # fmt: skip
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    check_id = (
        pl.when(pl.col("check").str.contains(r"^(schema|duplicates)\."))
        .then(pl.col("check"))
        .otherwise(pl.col("column").replace_strict(by_column, default=None))
    )
    failures = cases.select(check_id.alias("check_id"), pl.col("index").cast(pl.UInt32).alias("_row_id")).unique()
    reasons = (
        failures.filter(pl.col("check_id").is_in(sorted(ERRORS)))
        .group_by("_row_id")
        .agg(pl.col("check_id").sort().alias("reasons"))
    )
    rows = df.with_row_index("_row_id")
    rows.join(reasons, on="_row_id", how="anti").drop("_row_id").write_parquet(folder / "passed.parquet")
    quarantined = rows.join(reasons, on="_row_id", how="inner").select(
        pl.col("_row_id").cast(pl.Int64).alias("_source_row"),
        pl.col("reasons").list.join('","').map_elements(lambda r: f'["{r}"]', return_dtype=pl.Utf8).alias("reasons"),
        pl.struct(*COLUMNS).struct.json_encode().alias("raw_record"),
    )
    quarantined.write_parquet(folder / "quarantined.parquet")
    counts = failures.group_by("check_id").len()
    found = dict(zip(counts["check_id"].to_list(), counts["len"].to_list(), strict=True))
    return {c.check_id: int(found.get(c.check_id, 0)) for c in CHECKS}

"""How the command prints: money per ISO 4217 exponent, rates, offsets, widths, JSON that stays JSON."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cli.output import money, percent, print_rows


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [
        (33857202, "USD", "USD 338,572.02"),
        (1599375, "JPY", "JPY 1,599,375"),
        (1500, "KWD", "KWD 1.500"),
        (-250, "EUR", "EUR -2.50"),
        (7, "BHD", "BHD 0.007"),
        (12345, "CLF", "CLF 1.2345"),
        (0, "KRW", "KRW 0"),
        (Decimal(100), None, "1.00"),
    ],
)
def test_money_in_major_units_by_the_currency_exponent(minor: int, currency: str | None, shown: str) -> None:
    assert money(minor, currency) == shown


def test_rates_are_percentages() -> None:
    assert (percent(0.0005), percent(0.0123), percent(None)) == ("0.05%", "1.23%", "")


def table(rows: list[dict[str, object]]) -> str:
    out = io.StringIO()
    print_rows(rows, out, as_json=False)
    return out.getvalue()


def test_a_table_right_aligns_numbers_and_shows_money_rates_and_offsets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    rows = [
        {"CURRENCY": "USD", "NET_MINOR": 33857202, "VARIANCE": 0.0004, "AT": datetime(2026, 11, 20, 12, 0)},
        {"CURRENCY": "JPY", "NET_MINOR": 1599375, "VARIANCE": 0.0, "AT": datetime(2026, 11, 20, 13, 0, tzinfo=UTC)},
    ]
    lines = table(rows).splitlines()
    assert lines[0].split() == ["CURRENCY", "NET_MINOR", "VARIANCE", "AT"]
    usd, jpy = lines[2], lines[3]
    assert "USD 338,572.02" in usd and "0.04%" in usd and "2026-11-20T12:00:00+00:00" in usd
    assert "JPY 1,599,375" in jpy and "0.00%" in jpy and "2026-11-20T13:00:00+00:00" in jpy
    assert usd.index("USD 338,572.02") + len("USD 338,572.02") == jpy.index("JPY 1,599,375") + len("JPY 1,599,375")
    assert lines[-1] == "(2 rows)"


def test_long_text_wraps_within_the_width_and_is_not_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    reason = "schema.amount_minor_non_negative: total_amount_minor must be >= 0, found -10 in the source row " * 2
    text = table([{"BATCH_ID": "orders-20261120t1200", "REASON": reason.strip()}])
    assert max(len(line) for line in text.splitlines()) <= 60
    assert "".join(text.split()).count("".join(reason.split())) == 1  # every character is there, in order


def test_too_many_columns_for_the_width_print_one_block_per_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    row = {f"COLUMN_{n}": f"value number {n}" for n in range(6)}
    lines = table([row, row]).splitlines()
    assert lines[0].startswith("-[ row 1 ]") and lines[1] == "COLUMN_0 | value number 0"
    assert lines[7].startswith("-[ row 2 ]") and lines[-1] == "(2 rows)"


def test_json_keeps_minor_units_offsets_and_nested_json() -> None:
    out = io.StringIO()
    row = {
        "NET_MINOR": Decimal(33857202),
        "CURRENCY": "USD",
        "AT": datetime(2026, 11, 20, 12, 0),
        "REASONS": '[\n  "schema.status_allowed"\n]',
        "RAW_RECORD": '{"order_id": 2, "status": "lost"}',
        "NOTE": "[not json",
    }
    print_rows([row], out, as_json=True)
    assert json.loads(out.getvalue()) == {
        "NET_MINOR": 33857202,
        "CURRENCY": "USD",
        "AT": "2026-11-20T12:00:00+00:00",
        "REASONS": ["schema.status_allowed"],
        "RAW_RECORD": {"order_id": 2, "status": "lost"},
        "NOTE": "[not json",
    }


def test_no_rows_says_so() -> None:
    assert table([]) == "(no rows)\n"


def test_a_lineage_dataset_prints_as_one_uri() -> None:
    from cli.trace import dataset_name

    assert (
        dataset_name({"namespace": "file", "name": "/home/x/landing/raw/stripe"}) == "file:///home/x/landing/raw/stripe"
    )
    assert dataset_name({"namespace": "s3://bucket", "name": "raw/stripe"}) == "s3://bucket/raw/stripe"
    assert (
        dataset_name({"namespace": "snowflake://acct", "name": "DB.CORE.ORDERS"}) == "snowflake://acct/DB.CORE.ORDERS"
    )

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


def test_stripe_amounts_in_minor_units_show_as_money_and_stay_minor_in_json(monkeypatch: pytest.MonkeyPatch) -> None:
    """CORE.PAYMENTS and CORE.REFUNDS keep Stripe's names (AMOUNT, AMOUNT_CAPTURED, ...) in minor units beside
    CURRENCY and AMOUNT_DECIMALS (`trace --payment`): a table shows major units with the currency."""
    monkeypatch.setenv("COLUMNS", "160")
    row = {"PAYMENT_INTENT_ID": "pi_1", "AMOUNT": 1999, "AMOUNT_CAPTURED": 1500000, "CURRENCY": "usd",
           "AMOUNT_DECIMALS": 2}  # fmt: skip
    jpy = row | {"PAYMENT_INTENT_ID": "pi_2", "AMOUNT": 1599375, "AMOUNT_CAPTURED": 0, "CURRENCY": "jpy",
                 "AMOUNT_DECIMALS": 0}  # fmt: skip
    lines = table([row, jpy]).splitlines()
    assert "USD 19.99" in lines[2] and "USD 15,000.00" in lines[2] and lines[2].rstrip().endswith("2")
    assert "JPY 1,599,375" in lines[3] and "JPY 0" in lines[3]
    out = io.StringIO()
    print_rows([row], out, as_json=True)
    assert json.loads(out.getvalue()) == row  # --json: the stored minor units


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


def test_reconcile_source_says_its_days_in_words_and_bounds_the_ids_it_lists() -> None:
    from cli.reconcile import SHOWN_IDS, summary
    from northstar.sources.orders.reconcile import OrdersDiff

    low, high = datetime(2026, 11, 28, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    diff = OrdersDiff(low, high, days_checked=3, quarantined=list(range(1, 26)), missing=[7])
    text = summary("source_reconcile-1", diff, whole_history=False, held=False)
    assert "orders created on the last 3 UTC day(s), 2026-11-28 to 2026-11-30 (today)" in text
    assert "  missing 1: 7\n" in text and "  stale 0\n" in text
    shown = ", ".join(str(i) for i in range(1, SHOWN_IDS + 1))
    assert f"  quarantined (nothing to repair) 25: {shown}, ... and 15 more (--json lists all)\n" in text
    every = summary("source_reconcile-2", OrdersDiff(datetime(2026, 3, 9, tzinfo=UTC), high), True, False)
    assert (
        "every UTC day from 2026-03-09 (--all: the earliest created day in the source or CORE) to 2026-11-30" in every
    )


def test_every_table_has_upper_case_headers_and_json_keeps_the_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """`alerts list` (keys like `first_seen`) prints headers as every other table does; its --json is unchanged."""
    monkeypatch.setenv("COLUMNS", "120")
    rows = [{"key": "freshness:orders", "severity": "page", "first_seen": datetime(2026, 11, 20, 12, 0)}]
    assert table(rows).splitlines()[0].split() == ["KEY", "SEVERITY", "FIRST_SEEN"]
    monkeypatch.setenv("COLUMNS", "40")  # too narrow: one block per row, labels upper-case too
    assert table(rows).splitlines()[1:4] == [
        "KEY        | freshness:orders",
        "SEVERITY   | page",
        "FIRST_SEEN | 2026-11-20T12:00:00+00:00",
    ]
    out = io.StringIO()
    print_rows(rows, out, as_json=True)
    assert json.loads(out.getvalue()) == rows[0] | {"first_seen": "2026-11-20T12:00:00+00:00"}


def test_ids_print_as_written_and_counts_are_grouped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    lines = table([{"ORDER_ID": 1000024, "DUPLICATE_OF": 1000099, "LINE_NO": 1001, "ROWS_EXTRACTED": 1000099}])
    assert lines.splitlines()[2].split() == ["1000024", "1000099", "1001", "1,000,099"]

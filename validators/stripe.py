"""The payments check family: the Stripe events contract, its row checks, and parsing a batch into `raw_batch`."""

from __future__ import annotations

from pathlib import Path

import duckdb

from northstar.sqlfiles import bound_params, statements
from validators.contracts import INTEGER, ISO_4217, TEXT, TIMESTAMP_UTC, Contract
from validators.result import CheckResult, Severity
from validators.router import check_raw_batch
from validators.rules import RowCheck, not_blank, not_null

# Stripe's zero-decimal currencies (https://docs.stripe.com/currencies#zero-decimal): amounts are whole units,
# never multiplied by 100. Amounts are stored exactly as Stripe sends them; this only labels their decimals.
ZERO_DECIMAL_CURRENCIES = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()  # noqa: SIM905 - reads as the list
)
# Stripe's three-decimal currencies: amounts in thousandths.
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})

BOOLEAN = frozenset({"BOOLEAN"})
JSON_LIST = frozenset({"JSON[]"})

STRIPE_EVENTS = Contract(
    dataset="stripe_events",
    key="event_id",
    columns={
        "event_id": TEXT,
        "event_type": TEXT,
        "event_created": TIMESTAMP_UTC,
        "api_version": TEXT,
        "object_type": TEXT,
        "object_id": TEXT,
        "payment_intent_id": TEXT,
        "charge_id": TEXT,
        "status": TEXT,
        "currency": TEXT,
        "amount": INTEGER,
        "amount_capturable": INTEGER,
        "amount_received": INTEGER,
        "amount_captured": INTEGER,
        "amount_refunded": INTEGER,
        "raw_amounts": JSON_LIST,
        "captured": BOOLEAN,
        "order_id": TEXT,
        "order_reference": TEXT,
        "customer_id": TEXT,
        "object_created": TIMESTAMP_UTC,
        "canceled_at": TIMESTAMP_UTC,
        "reason": TEXT,
        "failure_reason": TEXT,
        "evidence_due_by": TIMESTAMP_UTC,
        "payload_parsed": BOOLEAN,
    },
    params={
        "iso_currencies": sorted(ISO_4217),
        "zero_decimal_currencies": sorted(ZERO_DECIMAL_CURRENCIES),
        "three_decimal_currencies": sorted(THREE_DECIMAL_CURRENCIES),
    },
)

STRIPE_CHECKS = (
    RowCheck("schema.payload_parseable", Severity.ERROR, None, "the envelope and its body are JSON objects"),
    # an envelope that does not parse fails schema.payload_parseable only
    not_blank("schema.event_id_required", "event_id", when="payload_parsed"),
    not_blank("schema.event_type_required", "event_type", when="payload_parsed"),
    not_null("schema.event_created_required", "event_created", when="payload_parsed"),
    RowCheck("schema.object_id_required", Severity.ERROR, "object_id", "a handled event names its object's id"),
    RowCheck(
        "schema.event_type_handled",
        Severity.INFO,
        "event_type",
        "a mapped event type (others are kept raw only and counted here)",
    ),
    RowCheck(
        "schema.amount_minor_non_negative",
        Severity.ERROR,
        "amount",
        "every amount an integer number of minor units >= 0; payment intents, charges, refunds, disputes carry one",
    ),
    RowCheck("schema.currency_iso4217", Severity.ERROR, "currency", "currency an ISO 4217 code (upper-cased)"),
    RowCheck(
        "schema.order_link_format",
        Severity.INFO,
        "order_reference",
        "an order reference (metadata.order_id, client_reference_id) is an order id; others are counted here and the"
        " payment is unlinked (not quarantined)",
    ),
    RowCheck("duplicates.event_conflict", Severity.ERROR, "event_id", "one content per event id"),
    RowCheck(
        "duplicates.event_repeat",
        Severity.WARN,
        "event_id",
        "each event once in a batch (repeats are absorbed by the load keyed on event id)",
    ),
)

PARSE_FILES = ("stripe/create_event_types.sql", "stripe/create_currency_decimals.sql", "stripe/create_raw_batch.sql")


def load_events(con: duckdb.DuckDBPyConnection, landed_file: Path) -> list[CheckResult]:
    """Parse a batch's landed envelopes in DuckDB into `raw_batch`, check its columns, and view it as `batch`."""
    params = STRIPE_EVENTS.params | {"path": str(landed_file)}
    for relative in PARSE_FILES:
        for sql in statements(relative):
            con.execute(sql, bound_params(sql, params) or None)
    return check_raw_batch(con, STRIPE_EVENTS)

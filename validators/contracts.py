"""Data contracts: the columns, types and allowed values each source promises."""

from __future__ import annotations

from dataclasses import dataclass, field

# ISO 4217 active alphabetic codes (2026). Amounts are carried in each currency's minor unit.
ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
    BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS
    GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW
    KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD
    NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
    SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES
    VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()  # noqa: SIM905 - a block of codes reads better than 180 quoted strings
)

# Types as DuckDB names them when it reads the landed Parquet; a family admits narrower integer widths.
INTEGER = frozenset({"BIGINT", "INTEGER", "SMALLINT"})
TEXT = frozenset({"VARCHAR"})
TIMESTAMP_UTC = frozenset({"TIMESTAMP WITH TIME ZONE"})

ORDER_STATUSES = ("pending", "paid", "shipped", "delivered", "cancelled", "refunded")


@dataclass(frozen=True)
class Contract:
    """What a source promises: column name -> accepted types, plus the values a row may hold."""

    dataset: str
    key: str
    columns: dict[str, frozenset[str]]
    params: dict[str, object] = field(default_factory=dict)  # bound into the dataset's check queries


ORDERS = Contract(
    dataset="orders",
    key="order_id",
    columns={
        "order_id": INTEGER,
        "customer_id": INTEGER,
        "status": TEXT,
        "currency": TEXT,
        "total_amount_minor": INTEGER,
        "created_at": TIMESTAMP_UTC,
        "updated_at": TIMESTAMP_UTC,
    },
    params={
        "allowed_statuses": list(ORDER_STATUSES),
        "iso_currencies": sorted(ISO_4217),
    },
)

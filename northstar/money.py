"""Money as people read it: minor units (integers, as stored) shown in major units with their currency, using the
ISO 4217 minor-unit exponents. The one formatter of money for the CLI's tables and the investigation reports."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

# ISO 4217 minor-unit exponents other than 2 (ISO 4217 list one, "Minor unit" column).
_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
EXPONENTS = {
    **dict.fromkeys(_ZERO.split(), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}


def money(minor: Any, currency: str | None) -> str:
    """Minor units as major units with the currency: money(33857202, "USD") == "USD 338,572.02",
    money(1599375, "JPY") == "JPY 1,599,375"; "" for None; without a currency, two decimals and no code."""
    if minor is None:
        return ""
    exponent = EXPONENTS.get((currency or "").upper(), 2)
    major = Decimal(int(minor)).scaleb(-exponent)
    text = f"{major:,.{exponent}f}"
    return f"{currency.upper()} {text}" if currency else text


def money_by_currency(amounts: dict[str | None, int]) -> str:
    """Several currencies' totals (minor units) as one text: "GBP 2,484.09, USD 5.00", currencies sorted."""
    return ", ".join(money(v, c) for c, v in sorted(amounts.items(), key=lambda kv: str(kv[0])))

"""Realistic Stripe event payloads in two API-version shapes, built by small parameterised functions.

2019-era events (api_version 2019-05-16) carry a payment intent's charges as `charges: {data: [...]}`, a
charge's refunds as `refunds: {data: [...]}`, and no `amount_captured`; 2025-era events (2025-03-31.basil)
carry `latest_charge` (an id, or an expanded charge object when asked) and newer fields the pipeline must
tolerate. Every event is what Stripe sends: the JSON text of an Event object (pretty-printed like Stripe's
webhook bodies), wrapped in the landing envelope the webhook receiver writes.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

API_2019 = "2019-05-16"
API_2025 = "2025-03-31.basil"
SHAPES = (API_2019, API_2025)
T0 = int(datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp())

PAYMENT_INTENT_STATUS = {
    "payment_intent.created": "requires_payment_method",
    "payment_intent.requires_action": "requires_action",
    "payment_intent.processing": "processing",
    "payment_intent.amount_capturable_updated": "requires_capture",
    "payment_intent.succeeded": "succeeded",
    "payment_intent.payment_failed": "requires_payment_method",
    "payment_intent.canceled": "canceled",
}
CHARGE_TYPES = ("charge.succeeded", "charge.failed", "charge.captured", "charge.updated", "charge.refunded")
REFUND_STATUS = {
    "refund.created": "pending",
    "refund.updated": "succeeded",
    "refund.failed": "failed",
    "charge.refund.updated": "succeeded",
}
DISPUTE_STATUS = {
    "charge.dispute.created": "needs_response",
    "charge.dispute.updated": "under_review",
    "charge.dispute.funds_withdrawn": "needs_response",
    "charge.dispute.funds_reinstated": "won",
    "charge.dispute.closed": "won",
}
HANDLED_TYPES = (
    *PAYMENT_INTENT_STATUS,
    *CHARGE_TYPES,
    *REFUND_STATUS,
    *DISPUTE_STATUS,
    "checkout.session.completed",
)


def stripe_id(prefix: str, seed: object) -> str:
    """A deterministic id shaped like Stripe's: prefix_ + 24 alphanumerics."""
    digest = hashlib.sha256(f"{prefix}:{seed}".encode()).hexdigest()
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    number = int(digest, 16)
    chars = []
    for _ in range(24):
        number, rest = divmod(number, 62)
        chars.append(alphabet[rest])
    return f"{prefix}_{''.join(chars)}"


def event(
    event_type: str,
    obj: dict[str, Any],
    *,
    event_id: str | None = None,
    created: int = T0,
    api_version: str = API_2025,
    previous_attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Stripe Event object wrapping obj as data.object."""
    data: dict[str, Any] = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": event_id or stripe_id("evt", (event_type, obj.get("id"), created)),
        "object": "event",
        "api_version": api_version,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": stripe_id("req", created), "idempotency_key": f"northstar-{obj.get('id')}"},
        "type": event_type,
    }


def charge(
    charge_id: str,
    *,
    payment_intent: str | None,
    amount: int = 2500,
    currency: str = "usd",
    status: str = "succeeded",
    captured: bool = True,
    amount_refunded: int = 0,
    refunds: list[dict[str, Any]] | None = None,
    created: int = T0,
    metadata: dict[str, str] | None = None,
    api_version: str = API_2025,
) -> dict[str, Any]:
    """A Charge; the 2019 shape lists its refunds and has no amount_captured."""
    obj: dict[str, Any] = {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_refunded": amount_refunded,
        "application_fee_amount": None,
        "balance_transaction": stripe_id("txn", charge_id) if status == "succeeded" else None,
        "billing_details": {"address": {"country": "US", "postal_code": "94103"}, "email": None, "name": "J. Doe"},
        "captured": captured,
        "created": created,
        "currency": currency,
        "customer": stripe_id("cus", payment_intent),
        "description": None,
        "disputed": False,
        "failure_code": "card_declined" if status == "failed" else None,
        "failure_message": "Your card was declined." if status == "failed" else None,
        "livemode": False,
        "metadata": metadata or {},
        "outcome": {"network_status": "approved_by_network", "risk_level": "normal", "type": "authorized"},
        "paid": status == "succeeded",
        "payment_intent": payment_intent,
        "payment_method": stripe_id("pm", payment_intent),
        "payment_method_details": {"card": {"brand": "visa", "last4": "4242", "exp_year": 2029}, "type": "card"},
        "refunded": amount_refunded >= amount > 0,
        "status": status,
    }
    if api_version == API_2019:
        obj["refunds"] = {"object": "list", "data": refunds or [], "has_more": False, "total_count": len(refunds or [])}
        obj["source"] = {"id": stripe_id("card", charge_id), "object": "card", "brand": "Visa", "last4": "4242"}
    else:
        obj["amount_captured"] = amount if captured else 0
        obj["radar_options"] = {}
        obj["presentment_details"] = {"presentment_amount": amount, "presentment_currency": currency}
    return obj


def payment_intent(
    pi_id: str,
    *,
    status: str = "succeeded",
    amount: int = 2500,
    currency: str = "usd",
    created: int = T0,
    metadata: dict[str, str] | None = None,
    charges: list[dict[str, Any]] | None = None,
    expand_latest_charge: bool = False,
    api_version: str = API_2025,
) -> dict[str, Any]:
    """A PaymentIntent: 2019 lists its charges (newest first), 2025 names its latest_charge (or expands it)."""
    charges = charges or []
    obj: dict[str, Any] = {
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": amount if status == "requires_capture" else 0,
        "amount_received": amount if status == "succeeded" else 0,
        "canceled_at": created if status == "canceled" else None,
        "cancellation_reason": "requested_by_customer" if status == "canceled" else None,
        "capture_method": "manual" if status == "requires_capture" else "automatic",
        "client_secret": f"{pi_id}_secret_{stripe_id('s', pi_id)[2:]}",
        "confirmation_method": "automatic",
        "created": created,
        "currency": currency,
        "customer": stripe_id("cus", pi_id),
        "description": None,
        "last_payment_error": {"code": "card_declined"} if status == "requires_payment_method" and charges else None,
        "livemode": False,
        "metadata": metadata or {},
        "next_action": {"type": "use_stripe_sdk"} if status == "requires_action" else None,
        "payment_method": stripe_id("pm", pi_id),
        "payment_method_types": ["card"],
        "status": status,
    }
    if api_version == API_2019:
        url = f"/v1/charges?payment_intent={pi_id}"
        obj["charges"] = {"object": "list", "data": charges, "has_more": False, "total_count": len(charges), "url": url}
        obj["source"] = None
    else:
        latest = charges[0] if charges else None
        obj["latest_charge"] = latest if expand_latest_charge or latest is None else latest["id"]
        obj["automatic_payment_methods"] = {"allow_redirects": "always", "enabled": True}
        obj["amount_details"] = {"tip": {}}
        obj["payment_method_configuration_details"] = {"id": stripe_id("pmc", 1), "parent": None}
    return obj


def refund(
    refund_id: str,
    *,
    charge_id: str,
    payment_intent: str | None,
    amount: int = 1000,
    currency: str = "usd",
    status: str = "succeeded",
    reason: str | None = "requested_by_customer",
    created: int = T0,
    api_version: str = API_2025,
) -> dict[str, Any]:
    """A Refund; the 2019 shape has no payment_intent nor destination_details."""
    obj: dict[str, Any] = {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": stripe_id("txn", refund_id),
        "charge": charge_id,
        "created": created,
        "currency": currency,
        "metadata": {},
        "reason": reason,
        "receipt_number": None,
        "status": status,
    }
    if status == "failed":
        obj["failure_reason"] = "expired_or_canceled_card"
    if api_version != API_2019:
        obj["payment_intent"] = payment_intent
        obj["destination_details"] = {"card": {"reference_status": "pending", "type": "refund"}, "type": "card"}
    return obj


def dispute(
    dispute_id: str,
    *,
    charge_id: str,
    payment_intent: str | None,
    amount: int = 2500,
    currency: str = "usd",
    status: str = "needs_response",
    reason: str = "fraudulent",
    created: int = T0,
    api_version: str = API_2025,
) -> dict[str, Any]:
    """A Dispute; the 2019 shape has no payment_intent."""
    obj: dict[str, Any] = {
        "id": dispute_id,
        "object": "dispute",
        "amount": amount,
        "balance_transactions": [],
        "charge": charge_id,
        "created": created,
        "currency": currency,
        "evidence": {"customer_name": None, "product_description": None, "uncategorized_text": None},
        "evidence_details": {"due_by": created + 7 * 86400, "has_evidence": False, "past_due": False},
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "reason": reason,
        "status": status,
    }
    if api_version != API_2019:
        obj["payment_intent"] = payment_intent
        obj["payment_method_details"] = {"card": {"brand": "visa", "network_reason_code": "10.4"}, "type": "card"}
        obj["enhanced_eligibility_types"] = []
    return obj


def checkout_session(
    session_id: str,
    *,
    payment_intent: str,
    client_reference_id: str | None = None,
    metadata: dict[str, str] | None = None,
    amount_total: int = 2500,
    currency: str = "usd",
    created: int = T0,
    api_version: str = API_2025,
) -> dict[str, Any]:
    """A completed Checkout Session in payment mode."""
    obj: dict[str, Any] = {
        "id": session_id,
        "object": "checkout.session",
        "client_reference_id": client_reference_id,
        "customer": stripe_id("cus", payment_intent),
        "livemode": False,
        "metadata": metadata or {},
        "mode": "payment",
        "payment_intent": payment_intent,
        "payment_status": "paid",
        "success_url": "https://shop.northstar.example/thanks",
    }
    if api_version == API_2019:
        obj["display_items"] = [{"amount": amount_total, "currency": currency, "quantity": 1, "type": "custom"}]
    else:
        obj |= {"amount_total": amount_total, "currency": currency, "created": created, "status": "complete"}
    return obj


def ids(n: int, api_version: str = API_2025) -> dict[str, str]:
    """The ids of payment number n: its intent, charge, refund, dispute and checkout session."""
    return {
        "pi": stripe_id("pi", n),
        "ch": stripe_id("ch", n),
        "re": stripe_id("re", n),
        "du": stripe_id("dp" if api_version == API_2019 else "du", n),
        "cs": stripe_id("cs_test", n),
    }


def for_type(
    event_type: str,
    n: int = 1,
    *,
    api_version: str = API_2025,
    amount: int = 2500,
    currency: str = "usd",
    created: int = T0,
    order_id: str | None = "1042",
    refunded: int = 1000,
    expand_latest_charge: bool = False,
) -> dict[str, Any]:
    """A realistic event of any handled type for payment number n, its objects coherent with each other."""
    i = ids(n, api_version)
    metadata = {"order_id": order_id} if order_id is not None else {}
    common: dict[str, Any] = {"currency": currency, "created": created, "api_version": api_version}
    if event_type in PAYMENT_INTENT_STATUS:
        status = PAYMENT_INTENT_STATUS[event_type]
        attempted = event_type in ("payment_intent.succeeded", "payment_intent.payment_failed")
        charges = [_charge_for(event_type, i, amount, common)] if attempted else []
        obj = payment_intent(
            i["pi"], status=status, amount=amount, metadata=metadata, charges=charges,
            expand_latest_charge=expand_latest_charge, **common,
        )  # fmt: skip
    elif event_type in CHARGE_TYPES:
        obj = _charge_for(event_type, i, amount, common, refunded)
    elif event_type in REFUND_STATUS:
        obj = refund(i["re"], charge_id=i["ch"], payment_intent=i["pi"], amount=refunded,
                     status=REFUND_STATUS[event_type], **common)  # fmt: skip
    elif event_type in DISPUTE_STATUS:
        obj = dispute(i["du"], charge_id=i["ch"], payment_intent=i["pi"], amount=amount,
                      status=DISPUTE_STATUS[event_type], **common)  # fmt: skip
    elif event_type == "checkout.session.completed":
        obj = checkout_session(i["cs"], payment_intent=i["pi"], client_reference_id=order_id, amount_total=amount,
                               **common)  # fmt: skip
    else:
        raise ValueError(f"not a handled type: {event_type}")
    return event(event_type, obj, created=created, api_version=api_version)


def _charge_for(
    event_type: str, i: dict[str, str], amount: int, common: dict[str, Any], refunded: int = 0
) -> dict[str, Any]:
    """The charge an event of this type carries (failed for payment_failed, refunded for charge.refunded)."""
    failed = event_type in ("charge.failed", "payment_intent.payment_failed")
    is_refund = event_type == "charge.refunded"
    refunds = []
    if is_refund:
        refunds = [refund(i["re"], charge_id=i["ch"], payment_intent=i["pi"], amount=refunded, **common)]
    return charge(
        i["ch"], payment_intent=i["pi"], amount=amount, status="failed" if failed else "succeeded",
        captured=not failed, amount_refunded=refunded if is_refund else 0, refunds=refunds, **common,
    )  # fmt: skip


def unhandled(event_type: str = "customer.created", n: int = 1, created: int = T0) -> dict[str, Any]:
    """An event of a type the pipeline keeps raw only."""
    obj = {"id": stripe_id("cus", n), "object": "customer", "email": f"c{n}@example.com", "created": created}
    return event(event_type, obj, created=created)


def body_text(evt: dict[str, Any]) -> str:
    """The event as Stripe's webhook body: pretty-printed JSON."""
    return json.dumps(evt, indent=2)


def envelope(
    evt: dict[str, Any] | None = None,
    *,
    body: str | None = None,
    received_at: datetime | None = None,
    source: str = "webhook",
    event_id: str | None = None,
    event_type: str | None = None,
    event_created: int | None = None,
) -> bytes:
    """The landing envelope the webhook receiver writes for one event (body: the exact event JSON text)."""
    evt = evt or {}
    created = event_created if event_created is not None else evt.get("created", T0)
    received = received_at or datetime.fromtimestamp(created + 2, UTC)
    return json.dumps(
        {
            "event_id": event_id or evt.get("id"),
            "event_type": event_type or evt.get("type"),
            "event_created": created,
            "signature_timestamp": created + 1 if source == "webhook" else None,
            "received_at": received.isoformat().replace("+00:00", "Z"),
            "source": source,
            "body": body if body is not None else body_text(evt),
        }
    ).encode()


def landing_key(event_id: str, created: int) -> str:
    """raw/stripe/dt=YYYY-MM-DD/<event_id>.json, dated by the event's created (UTC)."""
    return f"raw/stripe/dt={datetime.fromtimestamp(created, UTC):%Y-%m-%d}/{event_id}.json"

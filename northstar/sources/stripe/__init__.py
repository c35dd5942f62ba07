"""Stripe payments intake, the `payments` source: the webhook receiver, its landing format, recovery from the
Events API, and the mapping of landed events to payments, refunds and disputes (events.py)."""

SOURCE = "payments"

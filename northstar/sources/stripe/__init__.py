"""Stripe payments intake: the webhook receiver, its landing format and recovery from the Events API."""

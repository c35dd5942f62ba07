"""Orders from the PostgreSQL OLTP database: the `orders` source (postgres.py reads it, landing.py lands it)."""

SOURCE = "orders"

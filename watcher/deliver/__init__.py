"""Delivery: one module per channel (its settings, its wire format, its send), the registry
that lists them, and the outbox worker that sends due messages through them."""

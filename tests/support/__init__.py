"""Shared test support: database URLs, the node launcher, signed requests."""

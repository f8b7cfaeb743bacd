"""Mastodon client API routes under /api/v2/ (one module per resource)."""

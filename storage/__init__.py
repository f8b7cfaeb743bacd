"""Durable state: tables, the engine, migrations and time-sortable ids.

Knows no HTTP and imports no other package of ours.
"""

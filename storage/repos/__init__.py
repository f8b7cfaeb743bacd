"""Typed queries, one module per aggregate."""

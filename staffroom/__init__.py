"""Staffroom: a federated community server for teachers and schools."""

__version__ = "0.1.0"

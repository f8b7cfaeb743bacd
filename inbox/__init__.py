"""Receiving activities: verify, normalize, check origins, store durably, dispatch."""

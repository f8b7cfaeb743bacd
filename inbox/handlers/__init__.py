"""One module per activity type; :mod:`inbox.dispatch` maps each type to its handler.

A handler runs in the worker's transaction for one stored activity whose
signer is already known to be its actor (or which our own publisher stored,
``key_id == "local"``). It either returns (done, or nothing to do) or raises
:class:`~inbox.handlers.common.Refused` (authentic but not allowed: the item
is marked rejected and never retried); any other exception is a retry.
"""

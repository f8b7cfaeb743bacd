"""One module per activity type; :mod:`inbox.dispatch` maps each type to its handler.

A handler runs in the worker's transaction for one stored activity whose
signer is already known to be its actor (our own publisher's deliveries,
``key_id == "local"``, go only to the few handlers in ``LOCAL_HANDLERS``).
It either returns (done, or nothing to do) or raises
:class:`~inbox.handlers.common.Refused` (authentic but not allowed: the item
is marked rejected and never retried); any other exception is a retry.
"""

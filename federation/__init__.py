"""The wire: ActivityPub, HTTP Signatures, JSON-LD, WebFinger and NodeInfo.

Nothing in this package touches the database or imports another package of
ours; key lookups and storage are passed in as callables.
"""

"""Communities: federated groups (``Group`` actors) with members on any node (FEP-1b12).

* :mod:`.manage`: create, find, list, update; owner and moderators.
* :mod:`.membership`: joins (Follow) under the join policy, approvals, removals, bans.
* :mod:`.posting`: which posts reach a community, the checks, and its Announces.
* :mod:`.remote`: what a member's node keeps of a remote community's Announces.
* :mod:`.access`: who may read a members-only community's posts and members.
"""

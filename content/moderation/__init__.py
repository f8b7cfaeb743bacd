"""Moderation: reports and their queue, actions with their audit log, domain policy.

``reports.py`` (local reports, Flags, forwarding), ``actions.py`` (warn,
delete a post, mark sensitive, limit, suspend, and lifting them; every one
logged in ``moderation_actions``), ``held.py`` (messages to students held
for a moderator), ``domains.py`` (domain blocks and the allowlist, applied
to what is already stored), ``filters.py`` (Mastodon v2 keyword filters),
``suspension.py`` (the grace-period worker sending a suspended account's
``Delete``).
"""

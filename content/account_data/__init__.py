"""A person's data: take it away (an archive), bring it in (CSV imports), have it erased.

Every one of these is an :class:`~storage.models.AccountJob` row run by the
workers (``worker.py``), so a large account's job survives the request and
the process, and shows its progress to the pages, the API and the CLI:

* ``archive.py``: the Mastodon-compatible archive (``actor.json``,
  ``outbox.json``, ``likes.json``, ``bookmarks.json``, ``media_attachments/``
  and the CSVs), written under ``media_dir/exports/`` (never served there:
  only its owner downloads it, through the API or the pages).
* ``imports.py``: the CSVs Mastodon accepts (follows, blocks, mutes,
  bookmarks); remote accounts are resolved through WebFinger with the
  node's guarded client; a bad row is reported and skipped.
* ``erasure.py`` + ``purge.py``: the account's content deleted, ``Delete``
  of the actor sent to every node that has it, its files removed, a
  tombstone left (the actor URL answers 410). ``purge.py`` is shared with
  the inbox, which does the same for another node's account that deleted
  itself.
* ``jobs.py``: creating, reading, leasing and advancing the rows.
"""

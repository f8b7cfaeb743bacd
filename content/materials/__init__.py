"""Teaching materials: a federated library with files, metadata, search, reviews and collections.

A material is an ``Article`` (a post, so visibility, delivery, replies and
the Mastodon API treat it as one) with typed rows beside it
(:mod:`storage.models.materials`). The modules here, each with one job:

* :mod:`.vocabulary`: the codes (types, licenses, subjects, grades) and their labels;
* :mod:`.detect` and :mod:`.archives`: what a file really is, and zip-bomb defence;
* :mod:`.preview` and :mod:`.markdown`: the preview image and the description;
* :mod:`.files`: files on disk, written and removed together with the rows;
* :mod:`.attachments`: a material's uploads, links and preview as rows;
* :mod:`.as2`: ``material_to_as2`` / ``material_from_as2``, the wire format;
* :mod:`.drafts`: what a client asks to publish or change;
* :mod:`.publishing`: create, edit and delete our own materials;
* :mod:`.activities`: the ``Create`` and ``Update`` that carry them;
* :mod:`.remote`: materials from other nodes (the guard on their files, mirroring);
* :mod:`.search` and :mod:`.library`: full-text search, filters and sorts;
* :mod:`.reviews`, :mod:`.ratings`, :mod:`.downloads`;
* :mod:`.collections` (a curator's shelf), :mod:`.collection_follows` (following one)
  and :mod:`.remote_collections` (our copies of other nodes' shelves);
* :mod:`.worker`: the row-driven jobs (debounced rating Updates, mirrors).
"""

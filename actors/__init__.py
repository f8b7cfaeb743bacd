"""Actors: local people and communities, the instance actor, remote-actor cache, keys."""

"""Serializers from our rows to the Mastodon API's entities (models never serialize themselves)."""

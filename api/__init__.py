"""The Mastodon-compatible client API and OAuth 2 (JSON over HTTP).

``api.auth`` authenticates a request's bearer token and checks its scopes;
``api.errors`` renders every refusal as Mastodon's ``{"error": "..."}``;
``api.params`` reads parameters however real clients send them;
``api.oauth`` holds the app-registration, token and metadata endpoints.
"""

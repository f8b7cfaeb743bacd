"""OAuth 2 as Mastodon apps speak it: client apps, codes, tokens and scopes.

The domain half, with no HTTP: ``api/oauth`` (the JSON endpoints) and
``web/oauth`` (the login and consent pages) both build on it, and neither may
import the other, so it lives here beside the account tokens it extends.
"""

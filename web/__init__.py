"""The node's own web pages: server-rendered HTML in Russian and English.

Jinja2 templates (``web/templates``) through Starlette's templating, our own
stylesheet and one small script (``web/static``, cache-busting names), gettext
catalogs (``web/locale``). Sessions are signed cookies shared with the OAuth
pages; every form carries a CSRF token. Routes call domain functions only.
"""

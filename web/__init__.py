"""Server-rendered HTML for people: the login and OAuth consent pages, for now.

Pages are built from escaped strings (no template engine yet) and never
served to other origins; forms carry CSRF tokens bound to a signed cookie.
"""

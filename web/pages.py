"""The HTML of the login, consent, code and error pages (every value escaped).

Pure functions from plain values to markup, so they are easy to test and the
routes stay thin. Test hooks are stable ids: ``form#login``, ``form#consent``,
``#login-error``, ``#scopes``, ``code#authorization-code`` and ``#error``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from starlette.responses import HTMLResponse

# No scripts at all; inline styles only; never framed (clickjacking a consent
# button is the classic attack). No form-action: browsers apply it to the
# redirect to the app's own URI, which would block the very thing we do.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:30rem;margin:3rem auto;padding:0 1rem;"
    "color:#1d2433;line-height:1.5}h1{font-size:1.4rem}label{display:block;margin:.8rem 0}"
    "input[type=text],input[type=password]{width:100%;padding:.5rem;box-sizing:border-box}"
    "button{padding:.5rem 1.2rem;margin:.8rem .5rem 0 0}.error{color:#a4161a}"
    "code#authorization-code{display:block;padding:1rem;background:#eef;word-break:break-all}"
    ".muted{color:#5c667a;font-size:.9rem}"
)


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def page(
    title: str,
    body: str,
    *,
    node_name: str,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    markup = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        "<meta name='referrer' content='no-referrer'>"
        f"<title>{_e(title)} · {_e(node_name)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
    return HTMLResponse(markup, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})


def _hidden(fields: Mapping[str, str]) -> str:
    return "".join(
        f"<input type='hidden' name='{_e(name)}' value='{_e(value)}'>"
        for name, value in fields.items()
    )


def login_page(
    *,
    node_name: str,
    app_name: str,
    request_params: Mapping[str, str],
    csrf: str,
    error: str | None = None,
    login: str = "",
    status: int = 200,
) -> HTMLResponse:
    alert = f"<p class='error' role='alert' id='login-error'>{_e(error)}</p>" if error else ""
    body = (
        f"<h1>Log in to {_e(node_name)}</h1>"
        f"<p><strong>{_e(app_name)}</strong> asks to use your account.</p>{alert}"
        "<form id='login' method='post' action='/oauth/authorize'>"
        + _hidden({"authenticity_token": csrf, "step": "login", **request_params})
        + "<label>Username or email"
        f"<input type='text' name='username' value='{_e(login)}' autocomplete='username' "
        "autocapitalize='none' required autofocus></label>"
        "<label>Password<input type='password' name='password' "
        "autocomplete='current-password' required></label>"
        "<button type='submit'>Log in</button></form>"
    )
    return page("Log in", body, node_name=node_name, status=status)


def consent_page(
    *,
    node_name: str,
    app_name: str,
    app_website: str | None,
    handle: str,
    scopes: Sequence[tuple[str, str]],
    request_params: Mapping[str, str],
    csrf: str,
    switch_account_url: str,
) -> HTMLResponse:
    site = (
        f" (<a href='{_e(app_website)}' rel='noopener noreferrer'>{_e(app_website)}</a>)"
        if app_website
        else ""
    )
    items = "".join(f"<li><code>{_e(scope)}</code>: {_e(text)}</li>" for scope, text in scopes)
    body = (
        f"<h1>Authorize {_e(app_name)}?</h1>"
        f"<p><strong>{_e(app_name)}</strong>{site} wants to use your account "
        f"<strong>{_e(handle)}</strong> to:</p><ul id='scopes'>{items}</ul>"
        "<form id='consent' method='post' action='/oauth/authorize'>"
        + _hidden({"authenticity_token": csrf, "step": "consent", **request_params})
        + "<button type='submit' name='decision' value='approve'>Authorize</button>"
        "<button type='submit' name='decision' value='deny'>Deny</button></form>"
        f"<p class='muted'>Not {_e(handle)}? "
        f"<a href='{_e(switch_account_url)}'>Log in with another account</a>.</p>"
    )
    return page("Authorize", body, node_name=node_name)


def code_page(*, node_name: str, app_name: str, code: str) -> HTMLResponse:
    body = (
        "<h1>Authorization code</h1>"
        f"<p>Copy this code and paste it into <strong>{_e(app_name)}</strong>:</p>"
        f"<code id='authorization-code'>{_e(code)}</code>"
        "<p class='muted'>It works once, within ten minutes.</p>"
    )
    return page("Authorization code", body, node_name=node_name)


def message_page(
    *,
    node_name: str,
    title: str,
    message: str,
    status: int,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    body = f"<h1>{_e(title)}</h1><p id='error'>{_e(message)}</p>"
    return page(title, body, node_name=node_name, status=status, headers=headers)

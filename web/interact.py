"""Interacting across servers and finding things: "interact from your server", search.

A visitor from another server types their address on one of our pages
(``/interact``): we ask their server's WebFinger for its ``subscribe``
template and send them there with the object's id, where they follow, reply
or review as themselves. The other way round, our WebFinger names
``/authorize_interaction?uri={uri}``: a signed-in person lands there with
something found elsewhere and gets its page here (a person to follow, a post
to answer, a material to review). Search takes words (the library), a URL or
an ``@name@host`` (fetched through the guarded client for a signed-in
person only, so a visitor cannot make the node fetch arbitrary URLs).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from content.materials import library
from content.materials.model import load_views
from content.mentions import webfinger_document
from content.resolve import is_url, looks_like_handle, resolve_account, resolve_url, split_acct
from content.timelines import readable
from federation.webfinger import subscribe_template
from storage.models import Actor, ContentObject, Material
from web.i18n import gettext as _
from web.page import PageError, Visitor, handler, read_form, redirect, render
from web.views import is_material, paging, post_view

MAX_QUERY = 300


async def interact(request: Request, visitor: Visitor) -> Response:
    form = await read_form(request, visitor)
    uri = form.get("uri").strip()
    if not is_url(uri) or len(uri) > 2000:
        raise PageError(400, _("The request could not be read"))
    user, host = split_acct(form.get("handle").strip()[:MAX_QUERY])
    if not user or not host or "/" in host:
        raise PageError(422, _("Write your address as @name@your.server."))
    if host == visitor.node.config.domain.lower():
        return redirect("/authorize_interaction?" + urlencode({"uri": uri}))
    document = await webfinger_document(visitor.node, user, host)
    template = None if document is None else subscribe_template(document)
    target = None if template is None else template.replace("{uri}", quote(uri, safe=""))
    schemes = {"https", "http"} if visitor.node.config.allow_http else {"https"}
    if target is None or urlsplit(target).scheme not in schemes:
        message = _("Your server could not be found, or it does not offer this.")
        search_there = _("Search there for:")
        raise PageError(422, f"{message} {search_there} {uri}")
    return redirect(target)


async def authorize_interaction(request: Request, visitor: Visitor) -> Response:
    uri = request.query_params.get("uri", "").strip()
    if visitor.actor is None:
        return redirect(
            "/login?" + urlencode({"next": str(request.url.path) + "?" + urlencode({"uri": uri})})
        )
    if not is_url(uri):
        raise PageError(400, _("The request could not be read"))
    return await _show_found(visitor, uri)


async def _show_found(visitor: Visitor, uri: str) -> Response:
    found = await resolve_url(visitor.node, uri)
    if isinstance(found, Actor):
        if found.local:
            return redirect(f"/@{found.username}")
        return render(visitor, "remote_actor.html", person=found)
    if isinstance(found, ContentObject) and found.id is not None:
        if is_material(found) or found.type == "Article":
            async with visitor.node.sessions() as session:
                if await session.get(Material, found.id) is not None:
                    return redirect(f"/materials/{found.id}")
        async with visitor.node.sessions() as session:
            if await readable(session, found, visitor.actor):
                view = await post_view(session, found, visitor.actor)
                if view is not None:
                    return redirect(view.page_url)
    raise PageError(404, _("Nothing was found at that address."))


async def search(request: Request, visitor: Visitor) -> Response:
    q = request.query_params.get("q", "").strip()[:MAX_QUERY]
    if q and visitor.actor is not None:
        if is_url(q):
            return await _show_found(visitor, q)
        if looks_like_handle(q):
            person = await resolve_account(visitor.node, q)
            if person is None:
                raise PageError(404, _("Nothing was found at that address."))
            return (
                redirect(f"/@{person.username}")
                if person.local
                else render(visitor, "remote_actor.html", person=person)
            )
    views = []
    if q:
        async with visitor.node.sessions() as session:
            found = await library.find(
                session, visitor.actor, library.LibraryQuery(q=q), paging(None, 20)
            )
            views = await load_views(session, found)
    return render(visitor, "search.html", q=q, views=views)


routes = [
    Route("/interact", handler(interact), methods=["POST"]),
    Route("/authorize_interaction", handler(authorize_interaction), methods=["GET"]),
    Route("/search", handler(search), methods=["GET"]),
]

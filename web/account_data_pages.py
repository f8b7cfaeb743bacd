"""``/settings/data``: a person takes their data away, brings it in, or has it erased.

The page lists the account's jobs with their state and percent; while one is
under way it refreshes itself every few seconds (a ``<meta>`` refresh: no
script). Exports are downloaded from here by their owner only; imports take
the CSVs Mastodon writes; erasure asks for the password and a ticked box,
then signs the person out for good (:mod:`content.account_data.erasure`) and
sends them to a page only its key opens, showing the erasure's progress.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from actors.ratelimit import FIVE_MINUTES, Rate, bucket_for
from content.account_data import archive, erasure, imports, jobs
from storage.models import Account, Actor, JobKind, JobState
from web.i18n import gettext as _
from web.page import PageError, Visitor, handler, read_form, redirect, render

PAGE = "/settings/data"


def _job_id(request: Request) -> int:
    raw = str(request.path_params["id"])
    if not raw.isdigit():
        raise PageError(404, _("There is no such page."))
    return int(raw)


async def data_page(request: Request, visitor: Visitor) -> Response:
    actor = visitor.actor_required()
    async with visitor.node.sessions() as session:
        rows = await jobs.of_actor(session, actor)
    busy = any(job.state in jobs.ACTIVE for job in rows)
    return render(
        visitor,
        "account_data.html",
        jobs=rows,
        busy=busy,
        types=imports.TYPES,
        max_mb=imports.MAX_BYTES // (1024 * 1024),
        started=request.query_params.get("started") == "1",
    )


async def start_export(request: Request, visitor: Visitor) -> Response:
    actor = visitor.actor_required()
    await read_form(request, visitor)
    async with visitor.node.sessions() as session:
        try:
            await jobs.create(session, actor, JobKind.EXPORT)
        except jobs.AccountDataError:
            raise PageError(422, _("An archive is already being prepared.")) from None
        await session.commit()
    return redirect(f"{PAGE}?started=1")


async def start_import(request: Request, visitor: Visitor) -> Response:
    actor = visitor.actor_required()
    form = await read_form(request, visitor, max_bytes=imports.MAX_BYTES + 64 * 1024, max_files=1)
    uploads = form.files.get("data") or []
    if not uploads:
        raise PageError(422, _("Choose a CSV file to import."))
    kind = form.get("type")
    try:
        rows = imports.parse(kind, await uploads[0].read(imports.MAX_BYTES + 1))
    except imports.ImportRefused:
        raise PageError(
            422, _("This file cannot be imported: it must be a CSV file of the chosen kind.")
        ) from None
    async with visitor.node.sessions() as session:
        try:
            await jobs.create(
                session, actor, JobKind.IMPORT, import_type=kind, payload={"rows": rows}
            )
        except jobs.AccountDataError:
            raise PageError(422, _("An import is already under way.")) from None
        await session.commit()
    return redirect(f"{PAGE}?started=1")


async def download(request: Request, visitor: Visitor) -> Response:
    actor = visitor.actor_required()
    async with visitor.node.sessions() as session:
        job = await jobs.own(session, actor, _job_id(request))
    path = None
    if job is not None and job.state == JobState.DONE:
        path = archive.archive_path(visitor.node.config.media_dir, job)
    if path is None or not path.is_file():
        raise PageError(404, _("There is no such page."))
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"{visitor.node.config.domain}-archive-{job.id if job else ''}.zip",
        headers={"Cache-Control": "private, no-store"},
    )


async def erase(request: Request, visitor: Visitor) -> Response:
    actor = visitor.actor_required()
    assert visitor.account is not None
    form = await read_form(request, visitor)
    if not form.checked("confirm"):
        raise PageError(422, _("Tick the box to confirm that the account is to be erased."))
    # A password guessed here counts against the same budget as signing in.
    ip = request.client.host if request.client is not None else "unknown"
    rate = Rate(visitor.node.config.login_rate_limit, FIVE_MINUTES)
    decision = bucket_for(request.app.state, "login", rate).hit(ip)
    if not decision.allowed:
        raise PageError(
            429,
            _("Too many sign-in attempts from your network. Wait a few minutes and try again."),
            headers=decision.headers(),
        )
    async with visitor.node.sessions() as session:
        account = await session.get(Account, visitor.account.id)
        me = await session.get(Actor, actor.id)
        assert account is not None and me is not None
        try:
            job = await erasure.request(session, account, me, password=form.get("password"))
        except jobs.AccountDataError as exc:
            if "password" in str(exc):
                raise PageError(403, _("The password is not right.")) from None
            raise PageError(422, _("This account cannot be erased.")) from None
        await session.commit()
    return redirect(f"{PAGE}/erasure/{job.id}?key={job.payload[erasure.STATUS_KEY]}")


async def erasure_page(request: Request, visitor: Visitor) -> Response:
    """How far an erasure has got, for whoever holds its key (the person is signed out)."""
    async with visitor.node.sessions() as session:
        job = await erasure.progress_of(
            session, _job_id(request), request.query_params.get("key") or ""
        )
    if job is None:
        raise PageError(404, _("There is no such page."))
    return render(visitor, "account_erased.html", job=job, busy=job.state in jobs.ACTIVE)


routes = [
    Route(PAGE, handler(data_page), methods=["GET"]),
    Route(f"{PAGE}/export", handler(start_export), methods=["POST"]),
    Route(f"{PAGE}/import", handler(start_import), methods=["POST"]),
    Route(f"{PAGE}/erase", handler(erase), methods=["POST"]),
    Route(f"{PAGE}/erasure/{{id}}", handler(erasure_page), methods=["GET"]),
    Route(f"{PAGE}/jobs/{{id}}/archive", handler(download), methods=["GET"]),
]

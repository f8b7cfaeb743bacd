"""A person's own data through the API: archive exports, CSV imports, erasure, and their jobs.

* ``POST /api/v1/staffroom/account/exports`` (``read:accounts``) → 202, the job;
* ``POST /api/v1/staffroom/account/imports`` (multipart: ``type`` = follows,
  blocks, mutes or bookmarks; ``data`` = the CSV; the matching
  ``write:follows``/``write:blocks``/``write:mutes``/``write:bookmarks``
  scope) → 202, the job; a file too large, not UTF-8 or without rows is 422;
* ``POST /api/v1/staffroom/account/erasure`` (``password``; ``write:accounts``)
  → 202, the job with a ``status_url``; the token stops working at once (the
  account is locked), so ``GET /api/v1/staffroom/account/erasure/:id?key=``
  (no token: the key in ``status_url``) shows its state and progress;
* ``GET /api/v1/staffroom/account/jobs`` and ``.../jobs/:id`` (``read:accounts``):
  state, step, progress (percent), the import's refused rows;
* ``GET /api/v1/staffroom/account/jobs/:id/archive``: a finished export's zip.

Only the token's own account: another's job is a 404.

``DELETE /api/v1/admin/accounts/:id`` (Mastodon's, an admin with
``admin:write:accounts``) erases a suspended local account at once.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from api.admin.common import int_id, node_of, require_admin
from api.admin.entities import admin_account
from api.auth import require_user
from api.entities.time import iso_ms_or_none
from api.errors import ApiError
from api.params import read_params
from api.routing import api_routes
from api.throttle import throttle
from content.account_data import archive, erasure, imports, jobs
from content.moderation.state import is_suspended
from storage.models import Account, AccountJob, Actor, JobKind, JobState

IMPORT_SCOPES = {
    "follows": "write:follows",
    "blocks": "write:blocks",
    "mutes": "write:mutes",
    "bookmarks": "write:bookmarks",
}


def job_entity(job: AccountJob) -> dict[str, Any]:
    done = job.kind == JobKind.EXPORT and job.state == JobState.DONE and job.result_name
    return {
        "id": str(job.id),
        "kind": job.kind,
        "type": job.import_type,
        "state": job.state,
        "step": job.step,
        "progress": job.progress,
        "done": job.done_count,
        "total": job.total,
        "report": job.report,
        "error": job.error if job.state == JobState.FAILED else None,
        "created_at": iso_ms_or_none(job.created_at),
        "finished_at": iso_ms_or_none(job.finished_at),
        "archive_url": f"/api/v1/staffroom/account/jobs/{job.id}/archive" if done else None,
        "archive_size": job.result_size if done else None,
    }


def _accepted(job: AccountJob) -> JSONResponse:
    entity = job_entity(job)
    if job.kind == JobKind.ERASE:
        key = job.payload.get(erasure.STATUS_KEY)
        entity["status_url"] = f"/api/v1/staffroom/account/erasure/{job.id}?key={key}"
    return JSONResponse(entity, status_code=202)


def _refused(exc: jobs.AccountDataError) -> ApiError:
    return ApiError(422, f"Validation failed: {exc}")


async def start_export(request: Request) -> Response:
    user = await require_user(request, "read:accounts")
    async with node_of(request).sessions() as session:
        try:
            job = await jobs.create(session, user.actor, JobKind.EXPORT)
        except jobs.AccountDataError as exc:
            raise _refused(exc) from None
        await session.commit()
    return _accepted(job)


async def start_import(request: Request) -> Response:
    user = await require_user(request, *IMPORT_SCOPES.values())
    params = await read_params(request, max_bytes=imports.MAX_BYTES + 64 * 1024)
    kind = params.get("type") or ""
    if kind in IMPORT_SCOPES and not user.principal.allows(IMPORT_SCOPES[kind]):
        raise ApiError(403, "This action is outside the authorized scopes")
    upload = params.file("data")
    if upload is None:
        raise ApiError(422, "Validation failed: data must be a CSV file")
    try:
        rows = imports.parse(kind, await upload.read(imports.MAX_BYTES + 1))
    except jobs.AccountDataError as exc:
        raise _refused(exc) from None
    async with node_of(request).sessions() as session:
        try:
            job = await jobs.create(
                session, user.actor, JobKind.IMPORT, import_type=kind, payload={"rows": rows}
            )
        except jobs.AccountDataError as exc:
            raise _refused(exc) from None
        await session.commit()
    return _accepted(job)


async def start_erasure(request: Request) -> Response:
    user = await require_user(request, "write:accounts")
    node = node_of(request)
    # A password guessed here (with a stolen token) counts as a sign-in attempt.
    throttle(request, "login", node.config.login_rate_limit)
    params = await read_params(request, query=False)
    async with node.sessions() as session:
        account = await session.get(Account, user.account.id)
        actor = await session.get(Actor, user.actor.id)
        assert account is not None and actor is not None
        try:
            job = await erasure.request(session, account, actor, password=params.get("password"))
        except jobs.AccountDataError as exc:
            raise _refused(exc) from None
        await session.commit()
    return _accepted(job)


async def erasure_progress(request: Request) -> Response:
    """An erasure's progress, for whoever holds its status key (the account itself is
    locked by then: no token works)."""
    key = request.query_params.get("key") or ""
    async with node_of(request).sessions() as session:
        job = await erasure.progress_of(session, int_id(request.path_params["id"]), key)
    if job is None:
        raise ApiError(404, "Record not found")
    entity = job_entity(job)
    return JSONResponse({k: entity[k] for k in ("id", "kind", "state", "step", "progress")})


async def list_jobs(request: Request) -> Response:
    user = await require_user(request, "read:accounts")
    async with node_of(request).sessions() as session:
        rows = await jobs.of_actor(session, user.actor)
    return JSONResponse([job_entity(job) for job in rows])


async def _own_job(request: Request) -> tuple[AccountJob, Any]:
    user = await require_user(request, "read:accounts")
    node = node_of(request)
    async with node.sessions() as session:
        job = await jobs.own(session, user.actor, int_id(request.path_params["id"]))
    if job is None:
        raise ApiError(404, "Record not found")
    return job, node


async def show_job(request: Request) -> Response:
    job, _node = await _own_job(request)
    return JSONResponse(job_entity(job))


async def download_archive(request: Request) -> Response:
    job, node = await _own_job(request)
    path = archive.archive_path(node.config.media_dir, job) if job.state == JobState.DONE else None
    if path is None or not path.is_file():
        raise ApiError(404, "Record not found")
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"{node.config.domain}-archive-{job.id}.zip",
        headers={"Cache-Control": "private, no-store"},
    )


async def erase_suspended(request: Request) -> Response:
    """Mastodon's ``DELETE /api/v1/admin/accounts/:id``: an admin erases a suspended
    local account now (no password: the admin acts), instead of waiting for the
    grace period; the erasure job does the rest."""
    await require_admin(request, "admin:write:accounts", "admin:write")
    node = node_of(request)
    async with node.sessions() as session:
        actor = await session.get(Actor, int_id(request.path_params["id"]))
        account = None
        if actor is not None and actor.local:
            account = (
                await session.exec(select(Account).where(Account.actor_id == actor.id))
            ).first()
        if actor is None or account is None:
            raise ApiError(404, "Record not found")
        if not await is_suspended(session, actor.id):
            raise ApiError(403, "This action is not allowed: the account is not suspended")
        try:
            await erasure.request(session, account, actor, password=None, operator=True)
        except jobs.AccountDataError as exc:
            raise _refused(exc) from None
        await session.commit()
        return JSONResponse(await admin_account(session, node, actor))


routes = api_routes(
    ("/api/v1/staffroom/account/exports", start_export, ["POST"]),
    ("/api/v1/staffroom/account/imports", start_import, ["POST"]),
    ("/api/v1/staffroom/account/erasure", start_erasure, ["POST"]),
    ("/api/v1/staffroom/account/erasure/{id}", erasure_progress, ["GET"]),
    ("/api/v1/staffroom/account/jobs", list_jobs, ["GET"]),
    ("/api/v1/staffroom/account/jobs/{id}", show_job, ["GET"]),
    ("/api/v1/staffroom/account/jobs/{id}/archive", download_archive, ["GET"]),
    ("/api/v1/admin/accounts/{id}", erase_suspended, ["DELETE"]),
)

"""Request parameters the way Mastodon clients really send them.

One request may carry parameters in the query string and in a body that is
form-encoded, multipart or JSON; apps mix all of these. :func:`read_params`
merges them (body over query) into :class:`Params`, which answers strings,
lists and booleans uniformly:

- arrays as ``name[]=a&name[]=b`` (Rails style), repeated ``name=a&name=b``,
  or a JSON array; nested JSON objects flatten to ``outer[inner]`` keys, the
  names the form encoding uses, so ``poll[options][]`` reads the same either way;
- booleans as ``true``/``false``, ``1``/``0``, ``on``/``off`` (a JSON ``true``
  arrives as ``"true"``);
- uploaded files stay available through :meth:`Params.file` (a route that
  takes files closes them with ``await params.aclose()``).

Bodies are read under a size limit (``max_bytes``, 1 MiB unless a route asks
for more, as media uploads will) and refused with 413 beyond it, before
anything is buffered or parsed.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request

from api.errors import ApiError
from federation.errors import FederationError
from federation.limits import DEFAULT_MAX_BODY, BodyTooLargeError, read_limited
from federation.strict_json import NOT_JSON, JsonError, loads

MAX_BODY_BYTES = DEFAULT_MAX_BODY
_TRUE = {"true", "1", "on", "yes", "t"}
_FALSE = {"false", "0", "off", "no", "f", ""}


def _scalar(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)


def _flatten(prefix: str, value: Any, out: dict[str, list[Any]]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}[{key}]" if prefix else str(key), inner, out)
    elif isinstance(value, list):
        out.setdefault(prefix, []).extend(
            item if isinstance(item, dict) else _scalar(item) for item in value
        )
    else:
        out.setdefault(prefix, []).append(_scalar(value))


class Params:
    """Merged parameters: each name maps to its values, in the order sent."""

    def __init__(self, values: dict[str, list[Any]] | None = None) -> None:
        self._values: dict[str, list[Any]] = {}
        for key, items in (values or {}).items():
            self.add(key, items)

    def add(self, key: str, items: Iterable[Any]) -> None:
        name = key[:-2] if key.endswith("[]") else key
        self._values.setdefault(name, []).extend(items)

    def override(self, other: Params) -> None:
        """Let every name ``other`` has replace this one's values."""
        for name, items in other._values.items():
            self._values[name] = list(items)

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def names(self) -> list[str]:
        return list(self._values)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The last string value of ``name`` (files and objects are skipped)."""
        strings = [v for v in self._values.get(name, []) if isinstance(v, str)]
        return strings[-1] if strings else default

    def get_list(self, name: str) -> list[str]:
        return [v for v in self._values.get(name, []) if isinstance(v, str)]

    def objects(self, name: str) -> list[dict[str, Any]]:
        """The JSON objects sent as items of an array ``name`` (``[{"name": ...}, ...]``)."""
        return [v for v in self._values.get(name, []) if isinstance(v, dict)]

    def get_bool(self, name: str, default: bool = False) -> bool:
        raw = self.get(name)
        if raw is None:
            return default
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ApiError(422, f"Validation failed: {name} must be a boolean")

    def get_int(self, name: str, default: int | None = None) -> int | None:
        raw = self.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise ApiError(422, f"Validation failed: {name} must be an integer") from None

    def file(self, name: str) -> UploadFile | None:
        files = self.files(name)
        return files[-1] if files else None

    def files(self, name: str) -> list[UploadFile]:
        """Every file sent as ``name`` (or ``name[]``), in order."""
        return [v for v in self._values.get(name, []) if isinstance(v, UploadFile)]

    async def aclose(self) -> None:
        """Close every uploaded file (their spooled temporary files)."""
        for items in self._values.values():
            for item in items:
                if isinstance(item, UploadFile):
                    await item.close()


async def _limited_body(request: Request, max_bytes: int) -> bytes:
    try:
        return await read_limited(request.headers, request.stream(), max_bytes)
    except BodyTooLargeError:
        raise ApiError(413, "Request entity too large") from None
    except FederationError as exc:
        raise ApiError(400, exc.reason) from None


async def _form(request: Request, body: bytes, multipart: bool, max_bytes: int) -> FormData:
    async def chunks() -> AsyncGenerator[bytes, None]:
        yield body

    try:
        if multipart:
            return await MultiPartParser(request.headers, chunks(), max_part_size=max_bytes).parse()
        return await FormParser(request.headers, chunks(), max_part_size=max_bytes).parse()
    except MultiPartException as exc:
        raise ApiError(400, exc.message) from None


async def read_params(
    request: Request, *, max_bytes: int = MAX_BODY_BYTES, query: bool = True
) -> Params:
    """Query and body parameters of ``request``, body winning; 400/413/422 on a bad body.

    ``query=False`` reads the body alone: for endpoints taking secrets, which
    must not travel in URLs (they end up in logs; RFC 6749 §2.3.1).
    """
    params = Params()
    if query:
        for key, value in request.query_params.multi_items():
            params.add(key, [value])
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    # Rails reads a JSON body even on a GET, and Mastodon.py sends some GET parameters so
    # (``familiar_followers``'s ``id``): read one then, no other body.
    is_json = ctype == "application/json" or ctype.endswith("+json")
    if request.method in {"GET", "HEAD", "OPTIONS"} and not is_json:
        return params
    body: Params | None = None
    if ctype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        raw = await _limited_body(request, max_bytes)
        body = Params()
        form = await _form(request, raw, ctype == "multipart/form-data", max_bytes)
        for key, form_value in form.multi_items():
            body.add(key, [form_value])
    elif ctype == "application/json" or ctype.endswith("+json"):
        raw = await _limited_body(request, max_bytes)
        if raw.strip():
            try:
                document = loads(raw)
            except JsonError as exc:
                detail = "" if exc.reason == NOT_JSON else f": {exc.reason}"
                raise ApiError(400, f"Request body is not valid JSON{detail}") from None
            if not isinstance(document, dict):
                raise ApiError(422, "Request body must be a JSON object")
            flat: dict[str, list[Any]] = {}
            _flatten("", document, flat)
            body = Params(flat)
    if body is not None:
        params.override(body)
    return params

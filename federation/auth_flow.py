"""Sending a request through an ``httpx.Auth`` flow, without ``httpx.AsyncClient``.

The safe client uses httpx's parts but not its client (see
:mod:`federation.client`), so it drives an auth's flow itself. Our own
signer gets a short cut: its flow is one signature and one send, and
stepping a generator for it would cost every delivery for nothing.
"""

from __future__ import annotations

import httpx

from federation.auth import HttpSignatureAuth


async def send(
    transport: httpx.AsyncBaseTransport, request: httpx.Request, auth: httpx.Auth | None
) -> httpx.Response:
    """Send one request through ``auth``'s flow (a signature; or a challenge and answer)."""
    if auth is None:
        return await transport.handle_async_request(request)
    if type(auth) is HttpSignatureAuth:
        # Its flow is one signature and one send, nothing to answer: no
        # need to drive the generator.
        auth.sign(request)
        return await transport.handle_async_request(request)
    if auth.requires_request_body:
        await request.aread()
    flow = auth.async_auth_flow(request)
    try:
        request = await flow.__anext__()
        while True:
            response = await transport.handle_async_request(request)
            if auth.requires_response_body:
                await response.aread()
            try:
                request = await flow.asend(response)
            except StopAsyncIteration:
                return response
            await response.aclose()
    finally:
        await flow.aclose()

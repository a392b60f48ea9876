"""`Cache-Control: no-store` on every API answer that does not set its own.

The API's answers hold patient data and who is signed in; a browser must not keep them. It
did: going back to the night screen after the session had run out, with no signal, Chromium
answered `/api/auth/me` from its cache (history navigations take stale cached answers), and
the screen took the signed-out nurse for signed in. The screens' own files (the static mount)
stay cacheable.

Pure ASGI, like the latency middleware, so streamed answers are not buffered.
"""

from __future__ import annotations

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NO_STORE = (b"cache-control", b"no-store")


class NoStoreMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_not_to_be_stored(message: Message) -> None:
            # The router has recorded the API route by the time the answer starts; the static
            # mount records none.
            route = scope.get("route")
            if message["type"] == "http.response.start" and (
                route is not None and not isinstance(route, Mount)
            ):
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    message = {**message, "headers": [*headers, NO_STORE]}
            await send(message)

        await self.app(scope, receive, send_not_to_be_stored)

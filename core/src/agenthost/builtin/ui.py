"""The ``ui`` frontend: serves the built-in web UI (``agenthost/ui/static``) at ``/ui``.

The files are public and hold no data: the page asks the native API for everything, with the
user's key when the host has authentication. Nothing is fetched from elsewhere, and the
Content-Security-Policy tells the browser so.
"""

from __future__ import annotations

import logging
from importlib.resources import files
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute

from ..frontend import Frontend
from ..http import HTTPProblem
from ..routing import Endpoint

log = logging.getLogger(__name__)

STATIC = Path(str(files("agenthost.ui") / "static"))
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
# Only this origin: no CDN, font or script from anywhere else; artifacts arrive as data/blob.
CSP = (
    "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
    "Referrer-Policy": "no-referrer",
}


class UiFrontend(Frontend):
    """The web UI; needs the ``native`` frontend, whose API it calls."""

    name = "ui"
    versions = ("1",)

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = []
        for path, handler in (("/ui", self.redirect), ("/ui/", self.index),
                              ("/ui/{file}", self.asset)):
            route = Endpoint(path, handler, methods=["GET"], public=True)
            route.include_in_schema = False  # files for a browser, not API
            routes.append(route)
        return routes

    async def startup(self) -> None:
        log.info("ui: the web UI is at /ui/ on this host")
        if not any(f.name == "native" for f in self.host.frontends):
            log.warning("the ui frontend is served without the native frontend, whose API "
                        "it calls: add [frontends.native] to the config")

    async def redirect(self, request: Request) -> Response:
        return RedirectResponse("/ui/", status_code=308)

    async def index(self, request: Request) -> Response:
        return _file("index.html")

    async def asset(self, request: Request) -> Response:
        return _file(request.path_params["file"])


def _file(name: str) -> Response:
    path = STATIC / name
    media_type = MEDIA_TYPES.get(path.suffix)
    # {file} matches no "/", so a name is one entry of STATIC; dotfiles and other types are not
    # assets.
    if media_type is None or name.startswith(".") or not path.is_file():
        raise HTTPProblem(404, f"no UI file {name!r}", code="not_found")
    return FileResponse(path, media_type=media_type, headers=HEADERS)

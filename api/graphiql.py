"""GraphiQL from the service's own files (api/static/graphiql/README.md says which and
why), outside production only: the page at `GET /graphql` for browsers, its assets under
`/graphiql/`. A Content-Security-Policy lets the page load scripts, styles and data from
the service's origin alone, so it works with no network beyond the service and runs no
third-party code."""
from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

STATIC = Path(__file__).parent / "static" / "graphiql"
PREFIX = "/graphiql/"

# GraphiQL's stylesheet carries its fonts and icons as data: URIs; nothing else is inline.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

# The vendored files, byte for byte as published on npm (README.md), pinned here.
PINNED = {
    "graphiql-3.8.3.min.js": "22faab94067b695e5f7959619fbe686ebcc8955002a0c97d986bcbba4ad4bc2c",
    "graphiql-3.8.3.min.css": "b1868247f8e0502cd869e581f5f3cb55b334862e7f51b1d6cbace11059b9adc2",
    "react-18.3.1.production.min.js": "d949f1c3687aedadcedac85261865f29b17cd273997e7f6b2bfc53b2f9d4c4dd",
    "react-dom-18.3.1.production.min.js": "35f4f974f4b2bcd44da73963347f8952e341f83909e4498227d4e26b98f66f0d",
}
OWN = ("casebook-graphiql.js", "casebook-graphiql.css")
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

PAGE = f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Casebook GraphiQL</title>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="{PREFIX}graphiql-3.8.3.min.css">
    <link rel="stylesheet" href="{PREFIX}casebook-graphiql.css">
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <script src="{PREFIX}react-18.3.1.production.min.js"></script>
    <script src="{PREFIX}react-dom-18.3.1.production.min.js"></script>
    <script src="{PREFIX}graphiql-3.8.3.min.js"></script>
    <script src="{PREFIX}casebook-graphiql.js"></script>
  </body>
</html>
"""


def page() -> Response:
    return HTMLResponse(PAGE, headers=SECURITY_HEADERS)


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in PINNED and name not in OWN:  # a fixed list: no path from the request reaches the disk
        return Response(status_code=404)
    headers = dict(SECURITY_HEADERS)
    if name in PINNED:  # versioned names: the content behind a name never changes
        headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return FileResponse(STATIC / name, media_type=MEDIA_TYPES[Path(name).suffix], headers=headers)


def routes() -> list[Route]:
    return [Route(PREFIX + "{name}", asset, methods=["GET", "HEAD"])]

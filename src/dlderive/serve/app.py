"""The web app: the check page, the handout page and the JSON API, on Starlette.

Every computation runs in the worker pool (``pool``) through the functions of ``work``; this module
reads and validates requests (size, encoding, JSON, fields), and answers errors with one line."""
from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ..cells import CELLS
from ..check.limits import DEFAULT_TIMEOUT, MAX_FILE_BYTES
from ..errors import DlderiveError, unknown
from . import examples, work
from .handouts import HandoutFolder
from .pool import Busy, Overrun, WorkerFailed, WorkerPool

HERE = Path(__file__).parent
MAX_BODY = MAX_FILE_BYTES
"""Bytes of a request body; more is refused with 413 before it is parsed."""
FORMS = ("scalar", "vector")
DERIVE_FORMATS = tuple(work.MEDIA)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; connect-src 'self'; frame-src 'self'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class BadRequest(Exception):
    """A request the app refuses: its status and one line saying why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Settings:
    """How the app runs: the handout folder (or None), the pool, the checker's per-relation limit."""

    handouts: Path | None = None
    workers: int = 2
    queue: int = 100
    wall: float = 60.0
    timeout: float = DEFAULT_TIMEOUT
    hosts: list[str] = field(default_factory=lambda: ["127.0.0.1", "localhost", "[::1]"])


async def read_json(request: Request) -> dict:
    """The body as a JSON object: 413 over MAX_BODY, 400 for non-UTF-8, malformed JSON or not an object."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise BadRequest(413, f"request body of {int(declared)} bytes; the limit is {MAX_BODY} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise BadRequest(413, f"request body over {MAX_BODY} bytes; the limit is {MAX_BODY} bytes")
    try:
        text = bytes(body).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(400, f"request body is not valid UTF-8 (byte {exc.start})") from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except (json.JSONDecodeError, ValueError, RecursionError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise BadRequest(400, f"request body is not valid JSON{where}: {getattr(exc, 'msg', exc)}") from None
    if not isinstance(data, dict):
        raise BadRequest(400, f"request body must be a JSON object, not {type(data).__name__}")
    return data


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def field_of(data: dict, key: str, kind, required: bool = False, default=None):
    """``data[key]`` of JSON type ``kind`` (str, int, bool, ...); 400 naming the key otherwise."""
    if key not in data or data[key] is None:
        if required:
            raise BadRequest(400, f"missing field {key!r}")
        return default
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = {str: "a string", int: "an integer", bool: "true or false"}
        raise BadRequest(400, f"field {key!r} must be {names.get(kind, kind.__name__)}, not {type(value).__name__}")
    return value


def error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": " ".join(message.split())}, status, headers=headers)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    pool = WorkerPool(settings.workers, settings.queue, settings.wall)
    folder = HandoutFolder(settings.handouts) if settings.handouts else None
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    stopping = asyncio.Event()

    async def compute(fn, *args, wall=None):
        """``fn(*args)`` in the pool, every failure turned into a BadRequest with its status."""
        try:
            return await pool.run(fn, *args, wall=wall)
        except DlderiveError as exc:
            raise BadRequest(400, str(exc)) from None
        except Busy:
            raise BadRequest(503, "the server is busy: every worker is working and the queue is full; "
                                  "try again shortly") from None
        except Overrun:
            raise BadRequest(503, f"the request took more than {wall or settings.wall:g} s and was stopped") from None
        except WorkerFailed:
            raise BadRequest(503, "the worker process failed (memory limit or signal) and was replaced") from None
        except RuntimeError as exc:
            raise BadRequest(500, f"internal error ({exc}); this is a bug in dlderive: please report it") from None

    def check_args(data: dict) -> tuple:
        text = field_of(data, "text", str, required=True)
        model = field_of(data, "model", str)
        cell = field_of(data, "cell", str)
        name = field_of(data, "name", str, default="<text>")
        if model is not None and model not in CELLS:
            raise BadRequest(400, unknown("model", model, sorted(CELLS)).message)
        if model is not None and cell is not None:
            raise BadRequest(400, "give either 'model' (a built-in cell) or 'cell' (a declared cell), not both")
        if len(name) > 255:
            raise BadRequest(400, "field 'name' is longer than 255 characters")
        return text, name, model, cell, settings.timeout

    async def api_check(request: Request) -> Response:
        report, _ = await compute(work.check, *check_args(await read_json(request)))
        return Response(report, media_type="application/json")

    async def api_check_view(request: Request) -> Response:
        report, mathml = await compute(work.check, *check_args(await read_json(request)), True)
        return JSONResponse({"report": json.loads(report), "mathml": mathml})

    async def api_derive(request: Request) -> Response:
        data = await read_json(request)
        name = field_of(data, "name", str, required=True)
        form = field_of(data, "form", str, default="scalar")
        steps = field_of(data, "steps", int)
        fmt = field_of(data, "format", str, default="json")
        if form not in FORMS:
            raise BadRequest(400, unknown("form", form, FORMS).message)
        if fmt not in DERIVE_FORMATS:
            raise BadRequest(400, unknown("format", fmt, DERIVE_FORMATS).message)
        media, body = await compute(work.derivation, name, form, steps, fmt, 120.0)
        return Response(body, media_type=media)

    async def api_list(request: Request) -> Response:
        return JSONResponse(await compute(work.listing))

    async def api_models(request: Request) -> Response:
        return JSONResponse({"models": sorted(CELLS)})

    async def api_examples(request: Request) -> Response:
        return JSONResponse({"examples": [e.summary() for e in examples.EXAMPLES.values()]})

    async def api_example(request: Request) -> Response:
        example = examples.EXAMPLES.get(request.path_params["name"])
        if example is None:
            raise BadRequest(404, f"no example named {request.path_params['name']!r}")
        return JSONResponse({**example.summary(), "text": example.text()})

    async def api_handouts(request: Request) -> Response:
        return JSONResponse({"folder": str(folder.root) if folder else None,
                             "files": folder.names() if folder else []})

    async def api_handout(request: Request) -> Response:
        data = await read_json(request)
        name = field_of(data, "file", str)
        toml = field_of(data, "toml", str)
        answers = field_of(data, "answers", bool, default=True)
        seed = field_of(data, "seed", int)
        output = field_of(data, "format", str, default="html")
        if (name is None) == (toml is None):
            raise BadRequest(400, "give either 'file' (a handout of the served folder) or 'toml' (its text)")
        if output not in work.HANDOUT_OUTPUTS:
            raise BadRequest(400, unknown("format", output, tuple(work.HANDOUT_OUTPUTS)).message)
        if seed is not None and not 0 <= seed < 2**63:
            raise BadRequest(400, "field 'seed' must be between 0 and 2^63 - 1")
        path = None
        if name is not None:
            if folder is None:
                raise BadRequest(404, "no handout folder is served (start with: dlderive serve --handouts DIR)")
            path = folder.resolve(name)
            if path is None:
                raise BadRequest(404, f"no handout named {name!r} in the served folder")
        filename, body = await compute(work.handout, str(path) if path else None, toml, answers, seed, output,
                                       wall=max(settings.wall, 200.0 if output == "pdf" else 0))
        media = {"pdf": "application/pdf"}.get(output, work.MEDIA.get(work.HANDOUT_OUTPUTS[output][0]))
        disposition = "inline" if output == "html" else "attachment"
        return Response(body, media_type=media, headers={"Content-Disposition": f'{disposition}; filename="{filename}"'})

    async def handout_events(request: Request) -> Response:
        if folder is None:
            raise BadRequest(404, "no handout folder is served (start with: dlderive serve --handouts DIR)")
        return StreamingResponse(folder.events(stopping), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})

    async def check_page(request: Request) -> Response:
        return templates.TemplateResponse(request, "check.html", {"models": sorted(CELLS), "page": "check"})

    async def handout_page(request: Request) -> Response:
        return templates.TemplateResponse(request, "handout.html", {
            "folder": str(folder.root) if folder else None, "files": folder.names() if folder else [],
            "page": "handout"})

    @asynccontextmanager
    async def lifespan(app):
        await pool.start()
        try:
            yield
        finally:
            stopping.set()
            pool.close()

    async def refused(request: Request, exc: BadRequest) -> Response:
        return error(exc.status, str(exc), {"Retry-After": "1"} if exc.status == 503 else None)

    async def not_found(request: Request, exc) -> Response:
        status = getattr(exc, "status_code", 500)
        reason = {404: f"no such page: {request.url.path}", 405: f"{request.method} is not allowed on {request.url.path}"}
        return error(status, reason.get(status, getattr(exc, "detail", "error")))

    async def crashed(request: Request, exc: Exception) -> Response:
        return error(500, f"internal error ({type(exc).__name__}); this is a bug in dlderive: please report it")

    routes = [
        Route("/", check_page),
        Route("/handout", handout_page),
        Route("/api/check", api_check, methods=["POST"]),
        Route("/api/check/view", api_check_view, methods=["POST"]),
        Route("/api/derive", api_derive, methods=["POST"]),
        Route("/api/list", api_list),
        Route("/api/models", api_models),
        Route("/api/examples", api_examples),
        Route("/api/examples/{name}", api_example),
        Route("/api/handouts", api_handouts),
        Route("/api/handout", api_handout, methods=["POST"]),
        Route("/api/handouts/events", handout_events),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=settings.hosts), Middleware(_Guard)]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                     exception_handlers={BadRequest: refused, 404: not_found, 405: not_found, Exception: crashed})


class _Guard:
    """Security headers on every answer; a POST from a page of another origin is refused (403)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        origin = headers.get("origin")
        if scope["method"] not in ("GET", "HEAD") and origin and origin.split("://", 1)[-1] != headers.get("host"):
            response = error(403, f"a request from {origin} is refused: only pages of this app may post to it")
            return await response(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = list(message.get("headers", [])) + [
                    (k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
            await send(message)

        await self.app(scope, receive, send_with_headers)

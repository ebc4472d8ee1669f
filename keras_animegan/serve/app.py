"""The FastAPI application: TF Serving's REST routes over a `Server`, within the transport limits."""

import logging
import re

from keras_animegan.serve.codec import _json_dumps
from keras_animegan.serve.limits import DEFAULT_BUSY_WAIT
from keras_animegan.serve.limits import DEFAULT_MAX_CONCURRENT_REQUESTS
from keras_animegan.serve.limits import DEFAULT_MAX_QUEUED_REQUESTS
from keras_animegan.serve.limits import DEFAULT_MAX_REQUEST_BYTES
from keras_animegan.serve.limits import DEFAULT_MIN_BODY_RATE
from keras_animegan.serve.limits import DEFAULT_READ_TIMEOUT
from keras_animegan.serve.limits import SMALL_BODY_BYTES
from keras_animegan.serve.limits import Admission
from keras_animegan.serve.limits import ReadBudget
from keras_animegan.serve.limits import RequestError
from keras_animegan.serve.limits import _answer_then_drain_class
from keras_animegan.serve.limits import declared_too_large
from keras_animegan.serve.limits import read_body

logger = logging.getLogger("keras_animegan.serve")

#: The 503 of a request that arrives while every slot is taken: sent as is, before its body is read.
_BUSY_BODY = b'{"error": "The server is busy (every running and queued slot is taken); retry in a moment."}'
_BUSY_START = {"type": "http.response.start", "status": 503, "headers": [
    (b"content-type", b"application/json"), (b"retry-after", b"1"), (b"content-length", str(len(_BUSY_BODY)).encode())]}
_BUSY_END = {"type": "http.response.body", "body": _BUSY_BODY, "more_body": False}


class UnexpectedErrors:
    """Logs unexpected errors (a bug) as one line each, at most `per_second` lines a second (the rest are
    counted and reported with the next line); the traceback only at debug level."""

    def __init__(self, per_second=1.0):
        self.interval, self.last, self.suppressed = 1.0 / per_second, float("-inf"), 0

    def log(self, path, error):
        import time

        now = time.monotonic()
        if now - self.last < self.interval:
            self.suppressed += 1
        else:
            more = f" ({self.suppressed} more since the last line)" if self.suppressed else ""
            logger.error("Unexpected %s serving %s: %s%s", type(error).__name__, path[:200],
                         str(error).splitlines()[0][:200] if str(error) else "", more)
            self.last, self.suppressed = now, 0
        logger.debug("Traceback of the error serving %s", path[:200], exc_info=error)


def shed_when_full(app, admission, busy_wait=DEFAULT_BUSY_WAIT):
    """An ASGI wrapper: a `:predict` that arrives while every running and queued slot is taken waits up to
    `busy_wait` seconds for one, its body unread; if none frees, it is answered 503 with `Retry-After`
    before its body is read or parsed and before any routing. Turning requests away so costs almost
    nothing while the model works, and clients that retry at once are paced by the wait. (uvicorn reads
    and drops the unread body, keeping the connection.)"""

    async def shedding(scope, receive, send):
        if (scope["type"] == "http" and admission.full and scope["method"] == "POST"
                and scope["path"].endswith(":predict") and not await admission.wait_for_room(busy_wait)):
            await send(_BUSY_START)
            await send(_BUSY_END)
            return
        await app(scope, receive, send)

    shedding.app = app
    return shedding

_PATH = re.compile(
    r"^(?P<name>[^/:]+)(?:/versions/(?P<version>[^/:]+)|/labels/(?P<label>[^/:]+))?"
    r"(?P<verb>/metadata|:predict|:classify|:regress)?$"
)


async def _predict(server, admission, request, parts, max_request_bytes, timeouts, budget=None):
    """A `:predict` request: read (within the byte budget), admitted (or 503), parsed and checked, then run
    on the model in its turn. A body still arriving holds no admission slot, so stalled clients do not
    shut out the others."""
    from fastapi.concurrency import run_in_threadpool
    from fastapi.responses import Response

    too_large = declared_too_large(request, max_request_bytes)
    if too_large is not None:  # at once, from the header; the body is drained after the answer
        raise RequestError(413, too_large, unread_body=True)
    read_timeout, min_body_rate = timeouts
    body = await read_body(request, max_request_bytes, read_timeout, budget, min_body_rate)
    size = len(body)
    try:
        admission.enter()
    except RequestError:
        if budget is not None:
            budget.give(size)
        raise
    try:
        # Parsing and checking come before the model's turn, so a bad request is answered while good
        # ones wait for the model. Big bodies take turns to parse; the memory of both stages is bounded.
        if len(body) <= SMALL_BODY_BYTES:
            prepared = await run_in_threadpool(server.prepare, parts["name"], body, parts["version"], parts["label"])
        else:
            async with admission.parsing:
                prepared = await run_in_threadpool(
                    server.prepare, parts["name"], body, parts["version"], parts["label"])
        del body
        async with admission.running:
            # Encoded in the worker thread too: a big response encoded on the event loop would stall it.
            body = await run_in_threadpool(lambda: _json_dumps(server.run(prepared)))
        return Response(body, media_type="application/json")
    finally:
        admission.leave()
        if budget is not None:
            budget.give(size)


def _error_response(status, message, unread_body, read_timeout):
    """A JSON error; a 408/413 closes the connection, and a body left unread is drained after the answer."""
    from fastapi.responses import JSONResponse

    headers = {"Retry-After": "1"} if status == 503 else None
    if status in (408, 413):  # a body stopped mid-way, or one not read: the connection is unusable
        headers = {"Connection": "close"}
    if unread_body:
        return _answer_then_drain_class()({"error": message}, status_code=status, headers=headers,
                                          read_timeout=read_timeout)
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _parse(path):
    match = _PATH.match(path)
    if not match:
        raise RequestError(404, f"Malformed request: {path[:200]}")
    return match.groupdict()


def make_app(server, max_request_bytes=DEFAULT_MAX_REQUEST_BYTES,
             max_concurrent_requests=DEFAULT_MAX_CONCURRENT_REQUESTS, max_queued_requests=DEFAULT_MAX_QUEUED_REQUESTS,
             read_timeout=DEFAULT_READ_TIMEOUT, min_body_rate=DEFAULT_MIN_BODY_RATE, busy_wait=DEFAULT_BUSY_WAIT):
    """The ASGI application speaking TF Serving's REST API over `server` (FastAPI, behind `shed_when_full`).

    Memory is bounded by the settings: the body size (`max_request_bytes`), the pixels per request
    (`server.max_request_pixels`), the requests running and waiting (`Admission`; beyond, a 503 after
    up to `busy_wait` s, before the body is read), a read timeout and a minimum body rate. No request
    gets a 500 but for a bug, logged as one line (`UnexpectedErrors`).
    """
    from fastapi import FastAPI
    from fastapi import Request
    from fastapi.concurrency import run_in_threadpool
    from fastapi.responses import JSONResponse

    app = FastAPI(title="keras-animegan (TF Serving REST API)", docs_url=None, redoc_url=None)

    admission = Admission(max_concurrent_requests, max_queued_requests)
    unexpected = UnexpectedErrors()
    budget = ReadBudget((max_concurrent_requests + max_queued_requests) * max_request_bytes)

    def error(status, message, unread_body=False):
        return _error_response(status, message, unread_body, read_timeout)

    @app.get("/v1/models/{path:path}")
    async def get(path: str):
        try:
            parts = _parse(path)
            if parts["verb"] not in (None, "/metadata"):
                raise RequestError(405, f"{parts['verb']} takes POST.")
            method = server.metadata if parts["verb"] == "/metadata" else server.status
            return JSONResponse(await run_in_threadpool(method, parts["name"], parts["version"], parts["label"]))
        except RequestError as e:
            return error(e.status, e.message)
        except Exception as e:  # noqa: BLE001 - a bug must not take the server down; one line says what it was
            unexpected.log(path, e)
            return error(500, f"Internal error ({type(e).__name__}); the server goes on.")

    @app.post("/v1/models/{path:path}")
    async def post(path: str, request: Request):
        try:
            parts = _parse(path)
            if parts["verb"] != ":predict":
                if parts["verb"] in (":classify", ":regress"):
                    raise RequestError(400, f"{parts['verb'][1:]} needs a classification/regression signature; "
                                            "these models have predict signatures only.")
                raise RequestError(405, "POST /v1/models/<name>:predict")
            return await _predict(server, admission, request, parts, max_request_bytes,
                                  (read_timeout, min_body_rate), budget)
        except RequestError as e:
            return error(e.status, e.message, e.unread_body)
        except Exception as e:  # noqa: BLE001 - a bug must not take the server down; one line says what it was
            unexpected.log(path, e)
            return error(500, f"Internal error ({type(e).__name__}); the server goes on.")

    return shed_when_full(app, admission, busy_wait)

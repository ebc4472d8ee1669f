"""The FastAPI application: TF Serving's REST routes over a `Server`, within the transport limits."""

import logging
import re

from keras_animegan.serve.codec import _json_dumps
from keras_animegan.serve.limits import DEFAULT_MAX_CONCURRENT_REQUESTS
from keras_animegan.serve.limits import DEFAULT_MAX_QUEUED_REQUESTS
from keras_animegan.serve.limits import DEFAULT_MAX_REQUEST_BYTES
from keras_animegan.serve.limits import DEFAULT_READ_TIMEOUT
from keras_animegan.serve.limits import SMALL_BODY_BYTES
from keras_animegan.serve.limits import Admission
from keras_animegan.serve.limits import ReadBudget
from keras_animegan.serve.limits import RequestError
from keras_animegan.serve.limits import _answer_then_drain_class
from keras_animegan.serve.limits import declared_too_large
from keras_animegan.serve.limits import read_body

logger = logging.getLogger("keras_animegan.serve")

_PATH = re.compile(
    r"^(?P<name>[^/:]+)(?:/versions/(?P<version>[^/:]+)|/labels/(?P<label>[^/:]+))?"
    r"(?P<verb>/metadata|:predict|:classify|:regress)?$"
)


async def _predict(server, admission, request, parts, max_request_bytes, read_timeout, budget=None):
    """A `:predict` request: read (within the byte budget), admitted (or 503), parsed and checked, then run
    on the model in its turn. A body still arriving holds no admission slot, so stalled clients do not
    shut out the others."""
    from fastapi.concurrency import run_in_threadpool
    from fastapi.responses import Response

    too_large = declared_too_large(request, max_request_bytes)
    if too_large is not None:  # at once, from the header; the body is drained after the answer
        raise RequestError(413, too_large, unread_body=True)
    body = await read_body(request, max_request_bytes, read_timeout, budget)
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


def make_app(server, max_request_bytes=DEFAULT_MAX_REQUEST_BYTES,
             max_concurrent_requests=DEFAULT_MAX_CONCURRENT_REQUESTS, max_queued_requests=DEFAULT_MAX_QUEUED_REQUESTS,
             read_timeout=DEFAULT_READ_TIMEOUT):
    """The FastAPI application speaking TF Serving's REST API over `server`.

    Memory is bounded by the settings, not by luck: the body size
    (`max_request_bytes`), the pixels per request (`server.max_request_pixels`),
    the requests running at once and waiting (`Admission`; a 503 with
    `Retry-After: 1` beyond), and a read timeout for slow clients.
    """
    from fastapi import FastAPI
    from fastapi import Request
    from fastapi.concurrency import run_in_threadpool
    from fastapi.responses import JSONResponse

    app = FastAPI(title="keras-animegan (TF Serving REST API)", docs_url=None, redoc_url=None)

    admission = Admission(max_concurrent_requests, max_queued_requests)
    budget = ReadBudget((max_concurrent_requests + max_queued_requests) * max_request_bytes)

    def error(status, message, unread_body=False):
        return _error_response(status, message, unread_body, read_timeout)

    def parse(path):
        match = _PATH.match(path)
        if not match:
            raise RequestError(404, f"Malformed request: {path}")
        return match.groupdict()

    @app.get("/v1/models/{path:path}")
    async def get(path: str):
        try:
            parts = parse(path)
            if parts["verb"] not in (None, "/metadata"):
                raise RequestError(405, f"{parts['verb']} takes POST.")
            method = server.metadata if parts["verb"] == "/metadata" else server.status
            return JSONResponse(await run_in_threadpool(method, parts["name"], parts["version"], parts["label"]))
        except RequestError as e:
            return error(e.status, e.message)

    @app.post("/v1/models/{path:path}")
    async def post(path: str, request: Request):
        try:
            parts = parse(path)
            if parts["verb"] != ":predict":
                if parts["verb"] in (":classify", ":regress"):
                    raise RequestError(400, f"{parts['verb'][1:]} needs a classification/regression signature; "
                                            "these models have predict signatures only.")
                raise RequestError(405, "POST /v1/models/<name>:predict")
            return await _predict(server, admission, request, parts, max_request_bytes, read_timeout, budget)
        except RequestError as e:
            return error(e.status, e.message, e.unread_body)
        except Exception as e:  # noqa: BLE001 - a bug must not take the server down; say what it was
            logger.exception("Error serving %s", path)
            return error(500, f"{type(e).__name__}: {e}")

    return app

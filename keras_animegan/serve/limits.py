"""The server's transport limits: request bodies read within a byte budget and a timeout, requests admitted
or turned away (503), headers within a deadline, and the client error every limit raises."""

import functools
import logging

from keras_animegan.utils.image_size import DEFAULT_MAX_PIXELS

logger = logging.getLogger("keras_animegan.serve")

DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_BATCH_SIZE = 256
#: Pixels one request may hold (all its images together; encoded images counted from their headers).
DEFAULT_MAX_REQUEST_PIXELS = DEFAULT_MAX_PIXELS
#: Requests that run the model at once; more wait in a queue of `DEFAULT_MAX_QUEUED_REQUESTS`. One keeps
#: the shipped photo translator (0.5 GB of activations per megapixel call) under 2 GB with the worst mix
#: (benchmarks/serving_limits.py); raise it for small models or big machines.
DEFAULT_MAX_CONCURRENT_REQUESTS = 1
DEFAULT_MAX_QUEUED_REQUESTS = 16
#: Bodies up to this size are parsed at once; larger ones take turns (`--max_concurrent_requests` at a time).
SMALL_BODY_BYTES = 1024 * 1024
#: Seconds a client may pause while sending its request body before it gets 408.
DEFAULT_READ_TIMEOUT = 30.0
#: The slowest a request body may arrive, in bytes per second, after its first `--read_timeout` seconds:
#: a body must be whole within `read_timeout + bytes / min_body_rate` seconds (Apache's mod_reqtimeout
#: `MinRate`), so a client sending a byte every 20 s is answered 408, not held forever.
DEFAULT_MIN_BODY_RATE = 1024.0
#: Seconds a `:predict` that finds every slot taken waits for one (its body unread) before it gets 503.
#: Waiting costs nothing, and it paces clients that retry at once, so turning them away stays cheap.
DEFAULT_BUSY_WAIT = 0.5
#: Connections one client address may hold waiting for it (beyond, its newest waiting ones are closed).
DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 256
#: Seconds a connection has to send a request's headers before it is closed.
DEFAULT_HEADER_TIMEOUT = 10.0
#: Open connections at once (uvicorn's `limit_concurrency`); beyond them new ones get 503.
DEFAULT_MAX_CONNECTIONS = 1024
#: The address `serve` binds by default: this machine only.
DEFAULT_HOST = "127.0.0.1"


class RequestError(Exception):
    """A client error: the HTTP status and a message for `{"error": ...}`."""

    def __init__(self, status, message, unread_body=False):
        super().__init__(message)
        self.status = status
        self.message = message
        self.unread_body = unread_body  # answered before the body was read: drain it after the answer


# An oversized body is read to its end (and dropped, so memory stays bounded) before the 413:
# answering while the client still sends makes the client see a reset connection, not the error.
# Past this many bytes the connection is closed instead.
MAX_DRAIN_BYTES = 256 * 1024 * 1024


class ReadBudget:
    """The bytes of request bodies being read and waiting, all requests together: a body that would take
    more than is left gets 503. A client that sends nothing holds nothing."""

    def __init__(self, limit):
        self.limit, self.used = int(limit), 0

    def take(self, count):
        if self.used + count > self.limit:
            raise RequestError(503, f"The server is busy (reading {self.used} bytes of other requests); retry "
                                    "in a moment.")
        self.used += count

    def give(self, count):
        self.used -= count


def declared_too_large(request, max_request_bytes):
    """The 413 message when the `Content-Length` header is over `max_request_bytes`, else None."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > max_request_bytes:
        return (f"Request body of {int(length)} bytes is over the {max_request_bytes}-byte limit "
                "(--max_request_bytes).")
    return None


async def read_body(request, max_request_bytes, read_timeout=DEFAULT_READ_TIMEOUT, budget=None,
                    min_body_rate=DEFAULT_MIN_BODY_RATE):
    """The request body, or `RequestError(413)` once it is over `max_request_bytes` (after draining the rest).

    A client that sends nothing for `read_timeout` seconds (fewer bytes than its
    `Content-Length`, then silence), or whose body is not whole within
    `read_timeout + bytes received / min_body_rate` seconds (a trickle), gets `RequestError(408)`. With a
    `ReadBudget`, the bytes read are taken from it as they arrive (503 when it runs out, after giving them
    back); the caller gives back `len(body)` when done with the body.
    """
    too_large = declared_too_large(request, max_request_bytes)
    body, drained = bytearray(), 0
    try:
        return await _read_chunks(request, max_request_bytes, (read_timeout, min_body_rate), budget, too_large, body,
                                  drained)
    except BaseException:
        if budget is not None:
            budget.give(len(body))
        raise


async def _read_chunks(request, max_request_bytes, timeouts, budget, too_large, body, drained):
    import asyncio
    import time

    read_timeout, min_body_rate = timeouts
    start = time.monotonic()
    chunks = request.stream().__aiter__()
    while True:
        received = len(body) + drained
        left = start + read_timeout + received / min_body_rate - time.monotonic()
        try:
            chunk = await asyncio.wait_for(chunks.__anext__(), max(0.0, min(read_timeout, left)))
        except StopAsyncIteration:
            break
        except asyncio.TimeoutError:
            if left <= read_timeout:
                raise RequestError(408, f"The request body arrived too slowly ({received} bytes in "
                                        f"{time.monotonic() - start:.0f} s; --min_body_rate is "
                                        f"{min_body_rate:g} bytes/s after --read_timeout).") from None
            raise RequestError(408, f"The request body stopped arriving for {read_timeout:g} s "
                                    f"(got {received} bytes; --read_timeout).") from None
        except Exception as error:  # starlette's ClientDisconnect: the client went away mid-body
            if type(error).__name__ != "ClientDisconnect":
                raise
            raise RequestError(400, "The client disconnected before sending the whole body.") from None
        if too_large is None:
            if budget is not None:
                budget.take(len(chunk))
            body += chunk
            if len(body) > max_request_bytes:
                too_large = f"Request body is over the {max_request_bytes}-byte limit (--max_request_bytes)."
                if budget is not None:
                    budget.give(len(body))
                drained = len(body)
                del body[:]
        else:
            drained += len(chunk)
            if drained > MAX_DRAIN_BYTES:
                break
    if too_large is not None:
        raise RequestError(413, too_large)
    return bytes(body)


@functools.cache
def _answer_then_drain_class():
    from fastapi.responses import JSONResponse

    class AnswerThenDrain(JSONResponse):
        """A JSON answer sent at once, before the request body is read; the body is then read and dropped
        (at most `MAX_DRAIN_BYTES`, `read_timeout` per chunk), so the client reads the answer instead of a
        reset connection."""

        def __init__(self, content, read_timeout=DEFAULT_READ_TIMEOUT, **kwargs):
            super().__init__(content, **kwargs)
            self.read_timeout = read_timeout

        async def __call__(self, scope, receive, send):
            import asyncio

            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            await send({"type": "http.response.body", "body": self.body, "more_body": True})
            drained = 0
            while drained <= MAX_DRAIN_BYTES:
                try:
                    message = await asyncio.wait_for(receive(), self.read_timeout)
                except asyncio.TimeoutError:
                    break
                if message["type"] != "http.request":
                    break
                drained += len(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    return AnswerThenDrain


class Admission:
    """At most `concurrent` requests run the model at once (and as many parse their JSON), and `queued` more
    wait; the rest get 503.

    A request is admitted once its body is whole (`ReadBudget` bounds the bodies being read), so a
    client that stalls mid-body holds no slot.
    """

    def __init__(self, concurrent=DEFAULT_MAX_CONCURRENT_REQUESTS, queued=DEFAULT_MAX_QUEUED_REQUESTS):
        import asyncio

        if concurrent < 1 or queued < 0:
            raise ValueError(f"--max_concurrent_requests must be >= 1 and --max_queued_requests >= 0; got "
                             f"{concurrent} and {queued}.")
        self.limit = concurrent + queued
        self.admitted = 0
        self._waiters = []  # futures of requests waiting for room (`wait_for_room`), oldest first
        self.parsing = asyncio.Semaphore(concurrent)
        self.running = asyncio.Semaphore(concurrent)

    @property
    def full(self):
        """No room for one more request: turned away before its body is read."""
        return self.admitted >= self.limit

    def enter(self):
        if self.admitted >= self.limit:
            raise RequestError(503, f"The server is busy ({self.admitted} requests running or queued); retry "
                                    "in a moment.")
        self.admitted += 1

    def leave(self):
        self.admitted -= 1
        while self._waiters:  # room for one: wake the request that has waited longest
            waiter = self._waiters.pop(0)
            if not waiter.done():
                waiter.set_result(None)
                break

    async def wait_for_room(self, timeout):
        """Waits up to `timeout` s while every slot is taken; returns whether there is room now."""
        import asyncio

        if not self.full or timeout <= 0:
            return not self.full
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
        except asyncio.TimeoutError:
            pass
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
        return not self.full

"""Connections: a deadline for request headers, and room for new clients while slow ones hold connections.

uvicorn bounds neither how long a connection may take to send its headers nor how many connections one
address holds, and at its `limit_concurrency` it answers the newest connections 503, so clients that open
connections and send nothing shut out everyone else. Here (`guarded_protocol`):

- a connection that has not sent a whole request line and headers `header_timeout` seconds after it
  opened (or after its last response) is closed;
- an address holds at most `max_per_client` *waiting* connections: ones without a whole request (headers
  or body still arriving, or idle between keep-alive requests). Once a second, the newest waiting
  connections of an address over the cap are closed, once `SWEEP_MIN_AGE` (5 s) old; its oldest ones
  stay (they are already on their way to `read_body`'s deadline). A connection whose request is whole,
  queued or being answered, is never closed. New connections are always accepted below
  `max_connections`, so a valid client on the same host as a thousand slow ones is accepted, sends its
  request at once and is answered: it is not waiting by the time a sweep comes;
- at `max_connections` open connections a new one is held, unread, for a second and then answered 503
  and closed: clients that retry at once are paced, and turning them away costs no CPU.

The body's own deadline (a minimum rate) is `read_body`'s (`keras_animegan.serve.limits`).
"""

import logging

logger = logging.getLogger("keras_animegan.serve")

#: Seconds between two sweeps of the waiting connections, and that a refused connection is held.
SWEEP_SECONDS = 1.0
#: Seconds a waiting connection over its address's cap may live before a sweep closes it. Closing at once
#: makes clients that reconnect at once churn hundreds of connections a second; this bounds the churn to
#: (connections over the cap) / SWEEP_MIN_AGE per second, and a valid request is whole long before.
SWEEP_MIN_AGE = 5.0

_REFUSED = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
            b"Connection: close\r\nContent-Length: 74\r\n\r\n"
            b'{"error": "Too many open connections (--max_connections); retry shortly."}')
assert len(_REFUSED.split(b"\r\n\r\n", 1)[1]) == 74


class _Guard:
    """What the connections of one server share: their count, the waiting ones by address, the sweep."""

    def __init__(self, header_timeout, max_connections, max_per_client, sweep_seconds):
        self.header_timeout, self.max_connections = header_timeout, max_connections
        self.max_per_client, self.sweep_seconds = max_per_client, sweep_seconds
        self.open, self.sweeping, self.closed_waiting, self.refused = 0, False, 0, 0
        self.by_host = {}  # address -> its open connections

    def start_sweeping(self, loop):
        if self.max_per_client and not self.sweeping:
            self.sweeping = True
            loop.call_later(self.sweep_seconds, self.sweep, loop)

    def sweep(self, loop):
        """Closes the newest waiting connections of each address over `max_per_client` (once `SWEEP_MIN_AGE` old)."""
        now = loop.time()
        for peers in list(self.by_host.values()):
            if len(peers) <= self.max_per_client:
                continue
            waiting = sorted((p for p in peers if p._waiting()), key=lambda p: p._since)
            for connection in waiting[self.max_per_client:]:
                if now - connection._since >= SWEEP_MIN_AGE:
                    self.closed_waiting += 1
                    connection.transport.close()
        loop.call_later(self.sweep_seconds, self.sweep, loop)


class _Guarded:
    """The mixin put before uvicorn's `H11Protocol` (see `guarded_protocol`); `_guard` is the server's `_Guard`."""

    _guard = None

    def connection_made(self, transport):
        super().connection_made(transport)
        guard, self._host = self._guard, None
        if guard.max_connections and guard.open >= guard.max_connections:
            self._refuse()
            return
        guard.open += 1
        self._reset_phase()
        self._host = self.client[0] if self.client else None
        guard.by_host.setdefault(self._host, set()).add(self)
        guard.start_sweeping(self.loop)

    def _refuse(self):
        """Held unread for a sweep interval, then 503 and closed (a client retrying at once is paced)."""
        self._guard.refused += 1
        self.transport.pause_reading()

        def answer():
            if not self.transport.is_closing():
                self.transport.write(_REFUSED)
                self.transport.close()

        self.loop.call_later(self._guard.sweep_seconds, answer)

    def on_response_complete(self):
        super().on_response_complete()
        self._reset_phase()

    def connection_lost(self, exc):
        handle = getattr(self, "_header_timer", None)
        if handle is not None:
            handle.cancel()
        peers = self._guard.by_host.get(self._host)
        if peers is not None and self in peers:
            self._guard.open -= 1
            peers.discard(self)
            if not peers:
                del self._guard.by_host[self._host]
        super().connection_lost(exc)

    def _reset_phase(self):
        """A new request begins: its headers are due within the header timeout."""
        self._since = self.loop.time()
        handle = getattr(self, "_header_timer", None)
        if handle is not None:
            handle.cancel()
        self._header_timer = self.loop.call_later(self._guard.header_timeout, self._header_timeout)

    def _header_timeout(self):
        import h11

        # IDLE: no request line and headers yet (a request being served or read is SEND_BODY or DONE).
        if self.conn.their_state == h11.IDLE and not self.transport.is_closing():
            self.transport.close()

    def _waiting(self):
        """Whether the connection waits for its client: no whole request yet (and not closing)."""
        import h11

        return not self.transport.is_closing() and self.conn.their_state in (h11.IDLE, h11.SEND_BODY)


def guarded_protocol(header_timeout, max_connections=None, max_per_client=None, sweep_seconds=SWEEP_SECONDS):
    """uvicorn's h11 protocol class with the header deadline and the connection caps above (one class, and
    one shared `_Guard`, per server)."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    guard = _Guard(header_timeout, max_connections, max_per_client, sweep_seconds)
    return type("GuardedProtocol", (_Guarded, H11Protocol), {"_guard": guard})


def header_timeout_protocol(seconds):
    """uvicorn's h11 protocol with only the header deadline (`guarded_protocol` without connection caps)."""
    return guarded_protocol(seconds)

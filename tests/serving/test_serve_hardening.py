"""The REST server against what fuzzers and load generators found: odd version paths, trickling bodies,
more slow connections than slots, overload, and how errors are logged. Real sockets, a real server."""

import asyncio
import http.client
import json
import logging
import os
import socket
import subprocess
import sys
import time

import pytest

from tests.serving.conftest import LATENT
from tests.serving.test_serve import ROOT
from tests.serving.test_serve import Client
from tests.serving.test_serve import read_status
from tests.serving.test_serve import running_server

pytestmark = pytest.mark.slow  # see setup.cfg: subprocesses, servers or many traced models

READ_TIMEOUT, MIN_RATE, MAX_CONNECTIONS, PER_CLIENT = 2, 100, 150, 20
VALID = json.dumps({"instances": [[0.0] * LATENT]}).encode()


@pytest.fixture(scope="module")
def server(tiny_models, tmp_path_factory):
    with running_server(tiny_models, tmp_path_factory.mktemp("serve_hardening"), "--max_concurrent_requests=1",
                        "--max_queued_requests=1", f"--read_timeout={READ_TIMEOUT}", f"--min_body_rate={MIN_RATE}",
                        "--header_timeout=60", f"--max_connections={MAX_CONNECTIONS}",
                        f"--max_connections_per_client={PER_CLIENT}") as running:
        yield running


ODD_VERSIONS = ["%C2%B2", "%D9%A3", "1" * 4301, "9" * 19, "-1", "1.0", "0x1", "%201", "1%00"]


@pytest.mark.parametrize("version", ODD_VERSIONS, ids=["superscript-two", "arabic-three", "4301-digits",
                                                      "19-digits", "negative", "decimal", "hex", "space", "nul"])
def test_odd_version_paths_get_404_and_the_connection_stays_usable(server, version):
    """Before: "²" passed `isdigit()` and failed `int()`, and 4,301 digits hit Python's conversion limit:
    500, and the next request on the same keep-alive connection was reset."""
    port, process, _ = server
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for method, path, body in [("GET", f"/v1/models/dcgan/versions/{version}", None),
                                   ("GET", f"/v1/models/dcgan/versions/{version}/metadata", None),
                                   ("POST", f"/v1/models/dcgan/versions/{version}:predict", VALID)]:
            connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            answer = json.loads(response.read())
            assert response.status == 404, (path[:80], response.status, answer)
            assert "Servable not found" in answer["error"] and len(answer["error"]) < 200
        connection.request("GET", "/v1/models/dcgan/versions/1")  # the same connection answers the next one
        response = connection.getresponse()
        assert response.status == 200 and json.loads(response.read())["model_version_status"][0]["version"] == "1"
    finally:
        connection.close()
    assert process.poll() is None


def trickle(port, interval=0.4, length=1000):
    """A connection that announces `length` body bytes and then sends one every `interval` s, in a thread."""
    import threading

    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(b"POST /v1/models/dcgan:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 + f"Content-Length: {length}\r\n\r\n".encode())
    stop = threading.Event()

    def send():
        while not stop.wait(interval):
            try:
                sock.sendall(b" ")
            except OSError:
                return

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return sock, stop


def test_a_body_trickling_in_gets_408_once_under_the_minimum_rate(server):
    """Before: the read timeout applied to each chunk, so a byte every 20 s (here every 0.4 s, under a 2 s
    read timeout) held the connection forever. Now the body must be whole within
    read_timeout + bytes / min_body_rate seconds."""
    port, process, _ = server
    start = time.time()
    sock, stop = trickle(port)
    try:
        assert read_status(sock) == 408
    finally:
        stop.set()
        sock.close()
    assert READ_TIMEOUT <= time.time() - start < READ_TIMEOUT + 3


async def _slow_connections(port, count, seconds):
    """`count` connections that announce a body and send a byte every 5 s, reconnecting whenever closed."""
    stats = {"connects": 0, "closed": 0}
    stop = time.monotonic() + seconds

    async def one():
        while time.monotonic() < stop:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            stats["connects"] += 1
            writer.write(b"POST /v1/models/dcgan:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
            try:
                while time.monotonic() < stop:
                    writer.write(b" ")
                    await writer.drain()
                    try:
                        if not await asyncio.wait_for(reader.read(1024), 5):
                            break
                        break  # answered (a 503): reconnect
                    except asyncio.TimeoutError:
                        continue
            except OSError:
                pass
            stats["closed"] += 1
            writer.close()

    await asyncio.gather(*[one() for _ in range(count)])
    return stats


def test_more_slow_connections_than_the_per_client_cap_leave_valid_predicts_answering(server):
    """Three times the per-client cap of slow connections, all from this host, reconnecting when closed: the
    newest waiting ones are closed each second, and valid predicts from the same host are answered 200
    within 2 s."""
    port, process, _ = server
    slow = subprocess.Popen([sys.executable, "-c", (
        "import asyncio, json, sys\nfrom tests.serving.test_serve_hardening import _slow_connections\n"
        f"print(json.dumps(asyncio.run(_slow_connections({port}, {3 * PER_CLIENT}, 8))))")],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=ROOT))
    try:
        time.sleep(3)  # all connected, older than the 1 s grace
        for _ in range(5):
            start = time.time()
            request = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            request.request("POST", "/v1/models/dcgan:predict", body=VALID, headers={"Content-Type": "application/json"})
            response = request.getresponse()
            assert response.status == 200, response.read()
            response.read()
            request.close()
            assert time.time() - start < 2.0
            time.sleep(0.3)
    finally:
        stats = json.loads(slow.communicate(timeout=60)[0])
    assert stats["connects"] > 3 * PER_CLIENT  # the slow clients were displaced, and came back
    assert process.poll() is None


def test_connections_over_the_server_cap_are_held_a_second_then_refused(server):
    port, process, _ = server
    held = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.3)
        start = time.time()
        extra = socket.create_connection(("127.0.0.1", port), timeout=30)
        extra.sendall(b"GET /v1/models/dcgan HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_status(extra) == 503
        assert 0.8 < time.time() - start < 3
        extra.close()
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.5)
    assert Client(port).request("/dcgan")[0] == 200
    assert process.poll() is None


def test_a_full_server_turns_a_predict_away_before_reading_its_body():
    """Shedding costs almost nothing: with every slot taken, `:predict` waits `busy_wait` for one, its body
    unread, and is then answered 503 with Retry-After, without a byte of its body read and without routing;
    a slot freed during the wait lets it through; other requests pass at once."""
    from keras_animegan.serve.app import shed_when_full
    from keras_animegan.serve.limits import Admission

    predict = {"type": "http", "method": "POST", "path": "/v1/models/dcgan:predict"}

    async def run():
        admission = Admission(1, 0)
        admission.enter()  # the one slot is taken
        passed, sent = [], []

        async def inner(scope, receive, send):
            passed.append(scope["path"])

        async def receive():
            raise AssertionError("the body was read")

        async def send(message):
            sent.append(message)

        app = shed_when_full(inner, admission, busy_wait=0.3)
        start = time.monotonic()
        await app(predict, receive, send)
        waited = time.monotonic() - start
        await app({"type": "http", "method": "GET", "path": "/v1/models/dcgan"}, receive, send)
        waiting = asyncio.ensure_future(app(predict, receive, send))
        await asyncio.sleep(0.1)
        admission.leave()  # a slot frees while it waits
        await waiting
        return passed, sent, waited

    passed, sent, waited = asyncio.run(run())
    assert passed == ["/v1/models/dcgan", "/v1/models/dcgan:predict"]
    assert len(sent) == 2 and sent[0]["status"] == 503 and (b"retry-after", b"1") in sent[0]["headers"]
    assert "busy" in json.loads(sent[1]["body"])["error"]
    assert 0.25 < waited < 1.0


def test_unexpected_errors_are_logged_one_line_each_and_rate_limited(caplog):
    """Before: every 500 logged a full traceback (298 of them made a 1.27 MB log in one fuzz run)."""
    from keras_animegan.serve.app import UnexpectedErrors

    errors = UnexpectedErrors(per_second=1.0)
    with caplog.at_level(logging.INFO, logger="keras_animegan.serve"):
        for i in range(300):
            try:
                int("²")
            except ValueError as error:
                errors.log(f"dcgan/versions/{i}", error)
    lines = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(lines) == 1 and lines[0].exc_info is None and "\n" not in lines[0].getMessage()
    assert "ValueError" in lines[0].getMessage()
    errors.last -= 2  # a second later: the next line counts the ones it held back
    with caplog.at_level(logging.INFO, logger="keras_animegan.serve"):
        errors.log("dcgan", ValueError("x"))
    assert "299 more" in caplog.records[-1].getMessage()

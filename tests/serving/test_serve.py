"""`python -m keras_animegan.serve` on 127.0.0.1: TF Serving's REST API, good requests, each kind of bad one."""

import base64
import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
from PIL import Image

from keras_animegan.serve import find_models
from tests import forked
from tests.bombs import apng_frame_bomb
from tests.bombs import gif_frame_bomb
from tests.serving.conftest import LATENT
from tests.serving.conftest import SIZE

pytestmark = pytest.mark.slow  # see setup.cfg: subprocesses, servers or many traced models

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


MAX_PIXELS, READ_TIMEOUT, HEADER_TIMEOUT, MAX_BODY = 5000, 2, 3, 200000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}/v1/models"

    def request(self, path, body=None):
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method="GET" if data is None else "POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())


@contextlib.contextmanager
def running_server(tiny_models, log_dir, *flags):
    """`python -m keras_animegan.serve` over the tiny exports on a free port with `flags`, once it answers:
    yields `(port, process, log_path)`, and stops the server afterwards."""
    port = free_port()
    log_path = log_dir / "server.log"
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), TF_CPP_MIN_LOG_LEVEL="2")
    with open(log_path, "w") as log:
        process = forked.start(
            [sys.executable, "-m", "keras_animegan.serve", f"--model_base_path={tiny_models['dir'] / 'export'}",
             f"--rest_api_port={port}", "--rest_api_host=127.0.0.1", *flags],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    client = Client(port)
    try:
        deadline = time.time() + 120
        while True:
            try:
                if client.request("/dcgan")[0] == 200:
                    break
            except OSError:  # urllib's URLError and a refused connection
                pass
            if process.poll() is not None or time.time() > deadline:
                raise RuntimeError("server did not start:\n" + log_path.read_text()[-3000:])
            time.sleep(0.3)
        yield port, process, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def client(tiny_models, tmp_path_factory):
    with running_server(tiny_models, tmp_path_factory.mktemp("serve"), f"--max_request_bytes={MAX_BODY}",
                        "--max_batch_size=16", f"--max_request_pixels={MAX_PIXELS}", "--max_concurrent_requests=1",
                        "--max_queued_requests=1", f"--read_timeout={READ_TIMEOUT}",
                        f"--header_timeout={HEADER_TIMEOUT}") as (port, process, _):
        yield Client(port), process


def png_b64(pixels):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def decode_b64_png(value):
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(value["b64"]))))


def test_status_and_metadata(client):
    c, _ = client
    assert c.request("/dcgan") == (200, {"model_version_status": [
        {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]})
    status, meta = c.request("/cyclegan/metadata")
    assert status == 200
    signatures = meta["metadata"]["signature_def"]["signature_def"]
    assert set(signatures) == {"serving_default", "translate_bytes", "serve"}
    assert signatures["serving_default"]["inputs"]["images"]["dtype"] == "DT_UINT8"
    # TF Serving's dtype names (the DataType enum), which clients parse: DT_FLOAT, not DT_FLOAT32.
    assert signatures["serve"]["inputs"]["images"]["dtype"] == "DT_FLOAT"
    assert signatures["translate_bytes"]["inputs"]["image_bytes"]["dtype"] == "DT_STRING"
    status, meta = c.request("/dcgan/metadata")
    generate = meta["metadata"]["signature_def"]["signature_def"]["generate_images"]
    assert generate["inputs"]["count"]["dtype"] == "DT_INT32" and generate["outputs"]["images"]["dtype"] == "DT_UINT8"


def test_a_tagged_generator_serves_noise_and_tags_and_names_its_tags(client, tiny_models):
    c, _ = client
    status, meta = c.request("/tagged/metadata")
    assert status == 200
    tags = meta["metadata"]["tags"]
    names = [t["tag"] for t in tags]
    assert {"tag": "glasses", "group": "flag"} in tags and {"tag": "blue_hair", "group": "hair_color"} in tags
    signatures = meta["metadata"]["signature_def"]["signature_def"]
    assert set(signatures["serving_default"]["inputs"]) == {"noise", "tags"}
    model = tiny_models["tagged"]
    inputs = model.tag_inputs(2, ["blue_hair", "glasses"], 4)
    noise, vectors = inputs[:, :LATENT], inputs[:, LATENT:]
    status, body = c.request("/tagged:predict", {"inputs": {"noise": noise.tolist(), "tags": vectors.tolist()}})
    assert status == 200
    expected = np.round((np.asarray(model(inputs)) + 1) * 127.5)
    np.testing.assert_allclose(np.array(body["outputs"]), expected, atol=1)
    wanted = [1.0 if n in ("red_hair", "short_hair") else 0.0 for n in names]
    status, body = c.request("/tagged:predict", {"signature_name": "generate_images",
                                                 "inputs": {"count": 2, "seed": 1, "tags": wanted}})
    assert status == 200 and np.array(body["outputs"]).shape == (2, SIZE, SIZE, 3)
    # The seed's noise is the one `sample(2, seed=1)` draws in Python: the generator on it and these tags.
    from keras_animegan.utils.noise import standard_normal

    seeded = np.concatenate([standard_normal(1, (2, LATENT)), np.tile(np.float32(wanted), (2, 1))], axis=1)
    np.testing.assert_allclose(np.array(body["outputs"]), np.round((np.asarray(model(seeded)) + 1) * 127.5), atol=1)
    status, body = c.request("/tagged:predict", {"inputs": {"noise": noise.tolist(), "tags": [[1.0]] * 2}})
    assert status == 400 and "tags" in body["error"]


def test_good_requests(client, tiny_models):
    c, _ = client
    rng = np.random.default_rng(0)
    # DCGAN, row format: noise in, uint8 images out, equal to the Keras model.
    noise = rng.standard_normal((2, LATENT)).astype(np.float32)
    status, body = c.request("/dcgan:predict", {"instances": noise.tolist()})
    assert status == 200
    images = np.array(body["predictions"])
    assert images.shape == (2, SIZE, SIZE, 3) and images.min() >= 0 and images.max() <= 255
    expected = np.round((np.asarray(tiny_models["dcgan"](noise)) + 1) * 127.5)
    np.testing.assert_allclose(images, expected, atol=1)
    # Columnar: count + seed -> images; and as PNG bytes ({"b64"}), the same pixels.
    status, body = c.request("/dcgan:predict", {"signature_name": "generate_images", "inputs": {"count": 3, "seed": 5}})
    assert status == 200 and np.array(body["outputs"]).shape == (3, SIZE, SIZE, 3)
    # The seed draws what `sample(3, seed=5)` draws in Python, on any backend.
    expected = np.round((np.asarray(tiny_models["dcgan"].sample(3, seed=5)) + 1) * 127.5)
    np.testing.assert_allclose(np.array(body["outputs"]), expected, atol=1)
    status, pngs = c.request("/dcgan/versions/1:predict",
                             {"signature_name": "generate_image_bytes", "inputs": {"count": 3, "seed": 5}})
    assert status == 200
    np.testing.assert_array_equal(np.stack([decode_b64_png(p) for p in pngs["outputs"]]), np.array(body["outputs"]))
    # Translator: uint8 images of another size come back at that size.
    pixels = rng.integers(0, 256, (1, 20, 28, 3), dtype=np.uint8)
    status, body = c.request("/cyclegan:predict", {"instances": pixels.tolist()})
    assert status == 200 and np.array(body["predictions"]).shape == (1, 20, 28, 3)
    # Image bytes in, PNG bytes out, one request with two sizes.
    a, b = rng.integers(0, 256, (24, 40, 3), dtype=np.uint8), rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    status, body = c.request("/cyclegan:predict", {"signature_name": "translate_bytes",
                                                   "instances": [{"b64": png_b64(a)}, {"b64": png_b64(b)}]})
    assert status == 200
    assert [decode_b64_png(p).shape for p in body["predictions"]] == [(24, 40, 3), (SIZE, SIZE, 3)]
    # The float signature.
    x = rng.uniform(-1, 1, (1, SIZE, SIZE, 3))
    status, body = c.request("/cyclegan:predict", {"signature_name": "serve", "inputs": x.tolist()})
    assert status == 200
    np.testing.assert_allclose(body["outputs"], tiny_models["cyclegan"].translate(x.astype(np.float32), "ab"),
                               atol=1e-4)


def png_claiming(height, width):
    """A small PNG whose header claims `height` x `width` pixels (a decompression-bomb stand-in)."""
    import struct

    data = bytearray(base64.b64decode(png_b64(np.zeros((4, 4, 3), np.uint8))))
    data[16:24] = struct.pack(">II", width, height)
    return base64.b64encode(bytes(data)).decode()


BAD = {
    "nested too deeply": ("/dcgan:predict", b'{"instances": ' + b"[" * 5000 + b"]" * 5000 + b"}", 400, "nests"),
    "image bomb": ("/cyclegan:predict", {"signature_name": "translate_bytes", "instances": [
        {"b64": png_claiming(20000, 20000)}]}, 400, "header"),
    "200,000 rows over the byte limit": ("/dcgan:predict", {"instances": [[0.0] * LATENT] * 200_000}, 413, "limit"),
    "malformed json": ("/dcgan:predict", b'{"instances": [1, 2', 400, "JSON"),
    "not an object": ("/dcgan:predict", b"[1, 2]", 400, "JSON object"),
    "neither format": ("/dcgan:predict", {"signature_name": "serving_default"}, 400, "exactly one"),
    "unknown signature": ("/dcgan:predict", {"signature_name": "nope", "instances": [[0.0] * LATENT]}, 400, "nope"),
    "wrong shape": ("/dcgan:predict", {"instances": [[0.0] * (LATENT - 1)]}, 400, "shape"),
    "ragged rows": ("/dcgan:predict", {"instances": [[0.0] * LATENT, [0.0]]}, 400, "rectangular"),
    "wrong dtype": ("/dcgan:predict", {"instances": [["a"] * LATENT]}, 400, "float32"),
    "uint8 out of range": ("/cyclegan:predict", {"instances": np.full((1, 8, 8, 3), 300).tolist()}, 400, "uint8"),
    "fractional uint8": ("/cyclegan:predict", {"instances": np.full((1, 8, 8, 3), 1.5).tolist()}, 400, "integers"),
    "undecodable image": ("/cyclegan:predict", {"signature_name": "translate_bytes", "instances": [
        {"b64": base64.b64encode(b"definitely not a png").decode()}]}, 400, "image"),
    "invalid base64": ("/cyclegan:predict", {"signature_name": "translate_bytes", "instances": [{"b64": "***"}]},
                       400, "base64"),
    "body too large": ("/cyclegan:predict", {"instances": np.zeros((1, 200, 200, 3), int).tolist()}, 413, "limit"),
    "batch too large": ("/dcgan:predict", {"instances": [[0.0] * LATENT] * 17}, 413, "batch"),
    "count too large": ("/dcgan:predict", {"signature_name": "generate_images", "inputs": {"count": 10**6, "seed": 0}},
                        400, "count"),
    "missing input": ("/dcgan:predict", {"signature_name": "generate_images", "inputs": {"count": 2}}, 400, "seed"),
    "signature_name a list": ("/dcgan:predict", {"signature_name": [1], "instances": [[0.0] * LATENT]}, 400,
                              "must be a string"),
    "signature_name an object": ("/dcgan:predict", {"signature_name": {"a": 1}, "instances": [[0.0] * LATENT]},
                                 400, "must be a string"),
    "gif frame bomb": ("/cyclegan:predict", {"signature_name": "translate_bytes", "instances": [
        {"b64": base64.b64encode(gif_frame_bomb(16384)).decode()}]}, 400, "16384x16384"),
    "apng frame bomb": ("/cyclegan:predict", {"signature_name": "translate_bytes", "instances": [
        {"b64": base64.b64encode(apng_frame_bomb(12000)).decode()}]}, 400, "12000x12000"),
    "request over the pixel budget": ("/cyclegan:predict", {"instances": np.zeros((1, 80, 80, 3), int).tolist()},
                                      413, "max_request_pixels"),
    "encoded images over the pixel budget": ("/cyclegan:predict", {"signature_name": "translate_bytes", "instances": [
        {"b64": png_b64(np.zeros((50, 50, 3), np.uint8))}] * 3}, 413, "7,500 pixels"),
    "unknown model": ("/nope:predict", {"instances": [[0.0]]}, 404, "nope"),
    "unknown version": ("/dcgan/versions/7:predict", {"instances": [[0.0] * LATENT]}, 404, "7"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_request_gets_4xx(client, kind):
    c, _ = client
    path, body, want_status, word = BAD[kind]
    status, response = c.request(path, body)
    assert status == want_status, response
    assert word.lower() in response["error"].lower(), response


def test_still_serving_after_bad_requests(client):
    c, process = client
    pixels = np.random.default_rng(1).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    request = {"signature_name": "translate_bytes", "instances": [{"b64": png_b64(pixels)}]}
    for i in range(200):
        status, body = c.request("/cyclegan:predict", request)
        assert status == 200, (i, body)
        assert decode_b64_png(body["predictions"][0]).shape == (SIZE, SIZE, 3)
    assert process.poll() is None


def slow_client(port, sent=b'{"instan', length=1000):
    """A connection that announces `length` body bytes, sends `sent`, and then nothing."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(b"POST /v1/models/dcgan:predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 + f"Content-Length: {length}\r\n\r\n".encode() + sent)
    return sock


def read_status(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ")[1]) if data else None


def test_a_client_that_stops_sending_gets_408_and_the_server_goes_on(client):
    """Before: a request with fewer bytes than its Content-Length was held open forever."""
    c, process = client
    port = int(c.base.split(":")[2].split("/")[0])
    start = time.time()
    sock = slow_client(port)
    try:
        assert read_status(sock) == 408
    finally:
        sock.close()
    assert READ_TIMEOUT <= time.time() - start < READ_TIMEOUT + 5
    assert c.request("/dcgan:predict", {"instances": [[0.0] * LATENT]})[0] == 200
    assert process.poll() is None


def test_bodies_beyond_the_read_budget_get_503_with_retry_after(client):
    """Bodies being read share a byte budget ((1 running + 1 queued) x the body limit, this server's flags):
    two clients that sent most of their bodies and stalled hold it; a third body, meanwhile, is told to retry."""
    c, _ = client
    port = int(c.base.split(":")[2].split("/")[0])
    holders = [slow_client(port, sent=b" " * (MAX_BODY - 5000), length=MAX_BODY) for _ in range(2)]
    try:
        time.sleep(0.5)
        request = urllib.request.Request(c.base + "/dcgan:predict", method="POST",
                                         data=json.dumps({"instances": [[0.0] * LATENT] * 300}).encode())
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(request, timeout=30)
        assert raised.value.code == 503 and raised.value.headers["Retry-After"] == "1"
        assert "busy" in json.loads(raised.value.read())["error"]
    finally:
        for sock in holders:
            sock.close()
    deadline = time.time() + READ_TIMEOUT + 10
    while c.request("/dcgan:predict", {"instances": [[0.0] * LATENT]})[0] != 200:  # free again
        assert time.time() < deadline
        time.sleep(0.2)


def test_stalled_clients_leave_predict_answering(client):
    """32 clients announce a body and send none (more than the running and queued slots, 1 + 1): a body
    still arriving holds no slot, so a real request is answered at once."""
    c, process = client
    port = int(c.base.split(":")[2].split("/")[0])
    stalled = [slow_client(port, sent=b"") for _ in range(32)]
    try:
        time.sleep(0.5)
        for _ in range(3):
            start = time.time()
            assert c.request("/dcgan:predict", {"instances": [[0.0] * LATENT]})[0] == 200
            assert time.time() - start < 2.0
    finally:
        for sock in stalled:
            sock.close()
    assert process.poll() is None


def test_an_over_limit_content_length_gets_413_at_once(client):
    c, _ = client
    port = int(c.base.split(":")[2].split("/")[0])
    start = time.time()
    sock = slow_client(port, sent=b'{"inst', length=MAX_BODY * 10)
    try:
        assert read_status(sock) == 413
    finally:
        sock.close()
    assert time.time() - start < 1.0


def test_a_client_sending_its_headers_slowly_is_closed_after_the_header_timeout(client):
    c, process = client
    port = int(c.base.split(":")[2].split("/")[0])
    start = time.time()
    slow = []
    for _ in range(20):
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.sendall(b"POST /v1/models/dcgan:predict HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")  # never ends
        slow.append(sock)
    try:
        assert c.request("/dcgan:predict", {"instances": [[0.0] * LATENT]})[0] == 200
        for sock in slow:
            assert sock.recv(4096) == b""  # closed by the server
        assert HEADER_TIMEOUT - 0.5 <= time.time() - start < HEADER_TIMEOUT + 5
    finally:
        for sock in slow:
            sock.close()
    assert process.poll() is None


def test_serve_listens_on_loopback_unless_told():
    from keras_animegan.serve import build_parser

    assert build_parser().parse_args(["--model_base_path=m"]).rest_api_host == "127.0.0.1"
    assert build_parser().parse_args(["--model_base_path=m", "--rest_api_host=0.0.0.0"]).rest_api_host == "0.0.0.0"


def test_find_models_layouts(tiny_models, tmp_path):
    export = tiny_models["dir"] / "export"
    assert set(find_models(export)) == {"dcgan", "cyclegan", "tagged"}
    assert find_models(export / "dcgan") == {"dcgan": {1: str(export / "dcgan" / "1")}}
    assert set(find_models(export / "dcgan", model_name="avatars")) == {"avatars"}
    with pytest.raises(FileNotFoundError, match="no SavedModel"):
        find_models(tmp_path)
    with pytest.raises(FileNotFoundError, match="not a directory"):
        find_models(tmp_path / "missing")

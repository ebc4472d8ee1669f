"""A TF Serving-compatible REST server for exported generators, for machines without TF Serving.

    python -m keras_animegan.serve --model_base_path=exports/cyclegan --rest_api_port=8501

The flags are TF Serving's (`--model_base_path`, `--model_name`,
`--rest_api_port`); `--model_name` defaults to the folder's name. The folder
holds numbered version folders (`1/`, `2/`, ...) as `keras_animegan.export`
writes them; the highest version is served. A folder whose subfolders are such
model folders (e.g. the whole `export_dir`) serves each of them by its name.

The REST API is TF Serving's, so a client written for one works against the
other unchanged:

- `GET  /v1/models/<name>[/versions/<v>]`: model status.
- `GET  /v1/models/<name>[/versions/<v>]/metadata`: signatures, dtypes, shapes.
- `POST /v1/models/<name>[/versions/<v>]:predict` with `{"signature_name": ...,
  "instances": [...]}` (row format, answered with `{"predictions": [...]}`)
  or `{"inputs": ...}` (columnar, answered with `{"outputs": ...}`).
  String inputs take `{"b64": "<base64>"}`; outputs whose name ends in
  `_bytes` come back as `{"b64": ...}`.

Errors are `{"error": "<message>"}` with a 4xx status for bad requests
(malformed JSON, unknown signature or input, wrong shape or dtype,
undecodable image, request, batch or image too large, a body that stops
arriving) and 404 for unknown models; the server keeps serving.

Memory is bounded by the flags, whatever clients send: `--max_request_bytes`
(32 MiB), `--max_request_pixels` (4096x4096 per request; encoded images are
measured from their headers, every GIF/APNG/WebP frame included, before they
are decoded), `--max_concurrent_requests` (1 runs the model) and
`--max_queued_requests` (16 wait; more get 503 with `Retry-After`, decided
before their body is read, so turning requests away costs almost nothing), and
`--read_timeout` (30 s without a byte of the body: 408) with `--min_body_rate`
(after the first 30 s, a body must average 1 KiB/s: 408). A `Content-Length`
over `--max_request_bytes` gets 413 at once, before any of the body is read.

Slow clients cannot shut others out. A body being read holds no admission slot
(it is admitted once it is whole); the bodies being read share a byte budget
(`(max_concurrent_requests + max_queued_requests) * max_request_bytes`), so a
client that announces a body and sends nothing costs nothing. A connection
must finish its request headers within `--header_timeout` (10 s), an idle
keep-alive connection closes after 5 s, and at most `--max_connections` (1024)
are open at once (beyond, a new one is held a second and answered 503). One
address holds at most `--max_connections_per_client` (256) connections that
wait for their client; each second its newest waiting ones beyond (5 s old) are closed,
and a connection whose request arrived whole is never closed, so slow clients
cannot shut out a valid one (see `keras_animegan.serve.connections`). Versions in paths are 1 to 18 ASCII digits;
anything else is an unknown version (404). No request gets a 500 but for a bug,
logged as one line. The server listens on 127.0.0.1 unless `--rest_api_host`
says otherwise (`0.0.0.0` in a container). Built on FastAPI + uvicorn.
"""

# One concern per module: `store` (the SavedModels and their signatures), `codec` (TF Serving's JSON),
# `server` (the requests a `Server` answers), `limits` (what bounds memory and time: body bytes, admission,
# timeouts), `app` (the FastAPI routes) and `cli` (the flags).
from keras_animegan.serve.app import make_app
from keras_animegan.serve.cli import build_parser
from keras_animegan.serve.cli import main
from keras_animegan.serve.connections import guarded_protocol
from keras_animegan.serve.connections import header_timeout_protocol
from keras_animegan.serve.limits import DEFAULT_HOST
from keras_animegan.serve.limits import DEFAULT_HEADER_TIMEOUT
from keras_animegan.serve.limits import DEFAULT_MAX_BATCH_SIZE
from keras_animegan.serve.limits import DEFAULT_MAX_CONCURRENT_REQUESTS
from keras_animegan.serve.limits import DEFAULT_MAX_CONNECTIONS
from keras_animegan.serve.limits import DEFAULT_MAX_QUEUED_REQUESTS
from keras_animegan.serve.limits import DEFAULT_MAX_REQUEST_BYTES
from keras_animegan.serve.limits import DEFAULT_MAX_REQUEST_PIXELS
from keras_animegan.serve.limits import DEFAULT_READ_TIMEOUT
from keras_animegan.serve.limits import MAX_DRAIN_BYTES
from keras_animegan.serve.limits import SMALL_BODY_BYTES
from keras_animegan.serve.limits import Admission
from keras_animegan.serve.limits import ReadBudget
from keras_animegan.serve.limits import RequestError
from keras_animegan.serve.limits import declared_too_large
from keras_animegan.serve.limits import read_body
from keras_animegan.serve.server import Server
from keras_animegan.serve.store import Servable
from keras_animegan.serve.store import Signature
from keras_animegan.serve.store import find_models
from keras_animegan.serve.store import tf_serving_dtype

__all__ = ["Admission", "ReadBudget", "RequestError", "Servable", "Server", "Signature", "build_parser",
           "declared_too_large", "find_models", "guarded_protocol", "header_timeout_protocol", "main", "make_app",
           "read_body", "tf_serving_dtype"]

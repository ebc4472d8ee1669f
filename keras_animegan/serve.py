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
`--max_queued_requests` (16 wait; more get 503 with `Retry-After`), and
`--read_timeout` (30 s without a byte of the body: 408). A `Content-Length`
over `--max_request_bytes` gets 413 at once, before any of the body is read.

Slow clients cannot shut others out. A body being read holds no admission slot
(it is admitted once it is whole); the bodies being read share a byte budget
(`(max_concurrent_requests + max_queued_requests) * max_request_bytes`), so a
client that announces a body and sends nothing costs nothing. A connection
must finish its request headers within `--header_timeout` (10 s), an idle
keep-alive connection closes after 5 s, and at most `--max_connections` (1024)
are open at once. The server listens on 127.0.0.1 unless `--rest_api_host`
says otherwise (`0.0.0.0` in a container). Built on FastAPI + uvicorn.
"""

import argparse
import base64
import binascii
import functools
import json
import logging
import os
import re
import sys

import numpy as np

from keras_animegan.utils.image_size import DEFAULT_MAX_PIXELS
from keras_animegan.utils.image_size import ImageTooLargeError
from keras_animegan.utils.image_size import check_image_size
from keras_animegan.utils.versions import read_manifest
from keras_animegan.utils.versions import saved_model_versions

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
#: Seconds a connection has to send a request's headers before it is closed.
DEFAULT_HEADER_TIMEOUT = 10.0
#: Open connections at once (uvicorn's `limit_concurrency`); beyond them new ones get 503.
DEFAULT_MAX_CONNECTIONS = 1024
#: The address `serve` binds by default: this machine only.
DEFAULT_HOST = "127.0.0.1"

_PATH = re.compile(
    r"^(?P<name>[^/:]+)(?:/versions/(?P<version>[^/:]+)|/labels/(?P<label>[^/:]+))?"
    r"(?P<verb>/metadata|:predict|:classify|:regress)?$"
)


class RequestError(Exception):
    """A client error: the HTTP status and a message for `{"error": ...}`."""

    def __init__(self, status, message, unread_body=False):
        super().__init__(message)
        self.status = status
        self.message = message
        self.unread_body = unread_body  # answered before the body was read: drain it after the answer


# ---------------------------------------------------------------------------- models
def find_models(model_base_path, model_name=None):
    """`{name: {version: path}}` under `model_base_path` (a model folder, or a folder of model folders)."""
    base = os.path.abspath(os.fspath(model_base_path))
    if not os.path.isdir(base):
        raise FileNotFoundError(f"--model_base_path {model_base_path!r} is not a directory.")
    versions = saved_model_versions(base)
    if versions:
        return {model_name or os.path.basename(base.rstrip(os.sep)): versions}
    models = {name: saved_model_versions(os.path.join(base, name)) for name in sorted(os.listdir(base))}
    models = {name: v for name, v in models.items() if v}
    if not models:
        raise FileNotFoundError(
            f"--model_base_path {model_base_path!r} holds no SavedModel version folders "
            "(expected <model_base_path>/<version>/saved_model.pb, as keras_animegan.export writes).")
    if model_name:
        if model_name not in models:
            raise FileNotFoundError(f"--model_name {model_name!r} is not in {model_base_path!r} "
                                    f"(found {sorted(models)}).")
        models = {model_name: models[model_name]}
    return models


def tf_serving_dtype(dtype):
    """TF Serving's name of a dtype in `/metadata`: the `DataType` enum name (`DT_FLOAT`, `DT_UINT8`, ...)."""
    from tensorflow.core.framework import types_pb2

    return types_pb2.DataType.Name(dtype.as_datatype_enum)


class Signature:
    """One signature of a loaded SavedModel: its input specs, output names, and a numpy-in numpy-out call."""

    def __init__(self, name, function, batch_size_input=None):
        self.name = name
        self.function = function
        self.inputs = dict(function.structured_input_signature[1])  # name -> tf.TensorSpec
        self.outputs = dict(function.structured_outputs)  # name -> tf.TensorSpec
        #: A scalar input that says how many images the signature makes (bounded like a batch), or None.
        self.batch_size_input = batch_size_input

    def describe(self):
        def spec(name, s):
            dims = [{"size": str(-1 if d is None else d)} for d in s.shape]
            return {"dtype": tf_serving_dtype(s.dtype), "tensor_shape": {"dim": dims, "unknown_rank": False},
                    "name": name}

        return {
            "inputs": {k: spec(k, s) for k, s in self.inputs.items()},
            "outputs": {k: spec(k, s) for k, s in self.outputs.items()},
            "method_name": "tensorflow/serving/predict",
        }


class Servable:
    """A loaded version of a model."""

    def __init__(self, name, version, path):
        import tensorflow as tf

        self.name, self.version, self.path = name, version, path
        self.loaded = tf.saved_model.load(path)
        counts = _batch_size_inputs(path, self.loaded.signatures)
        self.signatures = {k: Signature(k, f, counts.get(k)) for k, f in self.loaded.signatures.items()}
        from keras_animegan.utils.versions import read_manifest

        manifest = read_manifest(path) or {}
        # A tag-conditioned generator: the tag names of its `tags` input, in order, and their groups.
        vocabulary = manifest.get("tag_vocabulary") if isinstance(manifest, dict) else None
        self.tags = ([{"tag": t, "group": g} for t, g in zip(vocabulary["tags"], vocabulary["groups"])]
                     if isinstance(vocabulary, dict) and "tags" in vocabulary and "groups" in vocabulary else None)


def _batch_size_inputs(path, signatures):
    """`{signature: input}` of the scalar inputs that set a signature's image count, from the export's manifest
    (`assets.extra/keras_animegan.json`, which `keras_animegan.export` writes beside the SavedModel)."""
    manifest = read_manifest(path)
    if manifest is not None and isinstance(manifest.get("batch_size_inputs"), dict):
        return dict(manifest["batch_size_inputs"])
    # Exports written before the manifest: their count-and-seed signatures took a scalar `count`.
    return {name: "count" for name, f in signatures.items()
            if "count" in f.structured_input_signature[1] and f.structured_input_signature[1]["count"].shape.rank == 0}


# --------------------------------------------------------------------------- requests
def _json_loads(body):
    """`json.loads`, with orjson where it is installed (several times faster on big numeric bodies; the
    parser holds the GIL, so a faster parse also keeps the server answering others)."""
    try:
        import orjson
    except ImportError:
        return json.loads(body)
    return orjson.loads(body)


def _json_dumps(value):
    """JSON bytes of a response, with orjson where it is installed (as `_json_loads`)."""
    try:
        import orjson
    except ImportError:
        return json.dumps(value).encode()
    return orjson.dumps(value)


def _decode_b64(value):
    """Replaces `{"b64": s}` (at any depth) with the decoded bytes."""
    if isinstance(value, dict):
        if set(value) != {"b64"} or not isinstance(value["b64"], str):
            raise RequestError(400, 'An object inside a tensor value must be {"b64": "<base64 string>"}.')
        try:
            return base64.b64decode(value["b64"], validate=True)
        except (binascii.Error, ValueError):
            raise RequestError(400, "Invalid base64 in a {\"b64\": ...} value.") from None
    if isinstance(value, list):
        return [_decode_b64(v) for v in value]
    return value


def _nested_to_array(value):
    """`np.array(value)` for nested lists, converted row by row when there are many rows.

    One `np.array` call on a 1400 x 1400 image's lists holds the GIL for a second;
    row by row, the event loop gets its turns in between (and keeps answering).
    Rows of different shapes raise ValueError, as `np.array` does.
    """
    inner, lead = value, 0
    while isinstance(inner, list) and len(inner) == 1:
        inner, lead = inner[0], lead + 1
    if not isinstance(inner, list) or len(inner) < 64 or not isinstance(inner[0], list):
        return np.array(value)
    parts = [np.array(row) for row in inner]
    if len({part.shape for part in parts}) != 1:
        raise ValueError("rows of different shapes")
    array = np.stack(parts)
    return array.reshape((1,) * lead + array.shape)


def _to_array(value, spec, input_name):
    import tensorflow as tf

    value = _decode_b64(value)
    if spec.dtype == tf.string:
        array = np.array(value, dtype=object)
        if array.size and not all(isinstance(v, (bytes, str)) for v in array.ravel()):
            raise RequestError(400, f"Input {input_name!r} expects strings (or {{\"b64\": ...}}).")
        array = np.vectorize(lambda v: v.encode() if isinstance(v, str) else v, otypes=[object])(array) \
            if array.size else array
    else:
        try:
            array = _nested_to_array(value)
        except (ValueError, TypeError):
            raise RequestError(400, f"Input {input_name!r} is not a rectangular array of numbers "
                                    "(rows of different lengths?).") from None
        if array.dtype == object or array.dtype.kind not in "biuf":
            raise RequestError(400, f"Input {input_name!r} expects numbers of dtype {spec.dtype.name}; "
                                    f"got {array.dtype.kind and str(np.asarray(value).dtype)} values.")
        dtype = spec.dtype.as_numpy_dtype
        if spec.dtype.is_integer:
            if array.dtype.kind == "f" and array.size and not np.all(np.isfinite(array) & (array == np.round(array))):
                raise RequestError(400, f"Input {input_name!r} expects integers ({spec.dtype.name}); got fractions.")
            info = np.iinfo(dtype)
            if array.size and (array.min() < info.min or array.max() > info.max):
                raise RequestError(400, f"Input {input_name!r} is {spec.dtype.name}: values must lie in "
                                        f"[{info.min}, {info.max}]; got [{array.min()}, {array.max()}].")
        elif array.size and not np.all(np.isfinite(array)):
            raise RequestError(400, f"Input {input_name!r} has NaN or infinite values.")
        array = array.astype(dtype)
    want = spec.shape
    if want.rank is not None and (array.ndim != want.rank or not want.is_compatible_with(array.shape)):
        expected = "(" + ", ".join("?" if d is None else str(d) for d in want.as_list()) + ")"
        raise RequestError(400, f"Input {input_name!r} has shape {tuple(array.shape)}; the signature expects "
                                f"{expected}.")
    return array


def _jsonable(value, output_name):
    """A numpy output (or one row of it) as JSON: `_bytes` outputs as {"b64": ...}, other strings as text."""
    if isinstance(value, bytes):
        if output_name.endswith("_bytes"):
            return {"b64": base64.b64encode(value).decode()}
        return value.decode("utf-8", "replace")
    array = np.asarray(value)
    if array.dtype == object:
        if array.ndim == 0:
            return _jsonable(array.item(), output_name)
        return [_jsonable(v, output_name) for v in array]
    return array.tolist()


class Server:
    """The request handling, independent of the web framework (tests and benchmarks call it directly too)."""

    def __init__(self, models, max_batch_size=DEFAULT_MAX_BATCH_SIZE, max_request_pixels=DEFAULT_MAX_REQUEST_PIXELS):
        self.max_batch_size = int(max_batch_size)
        self.max_request_pixels = int(max_request_pixels)
        self.servables = {}
        for name, versions in models.items():
            self.servables[name] = {v: Servable(name, v, path) for v, path in versions.items()}
            logger.info("Loaded model %r versions %s.", name, sorted(versions))

    def servable(self, name, version=None, label=None):
        if name not in self.servables:
            raise RequestError(404, f"Servable not found for request: Latest({name})")
        versions = self.servables[name]
        if label is not None:
            raise RequestError(404, f"Unrecognized servable version label: {label}")
        if version is None:
            return versions[max(versions)]
        if not str(version).isdigit() or int(version) not in versions:
            raise RequestError(404, f"Servable not found for request: Specific({name}, {version})")
        return versions[int(version)]

    def status(self, name, version=None, label=None):
        chosen = [self.servable(name, version, label)] if version or label else self.servables.get(name, {}).values()
        if not chosen:
            self.servable(name)  # raises the 404
        return {"model_version_status": [
            {"version": str(s.version), "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}
            for s in sorted(chosen, key=lambda s: -s.version)
        ]}

    def metadata(self, name, version=None, label=None):
        servable = self.servable(name, version, label)
        metadata = {"signature_def": {"signature_def": {k: s.describe() for k, s in servable.signatures.items()}}}
        if servable.tags is not None:  # what each column of the `tags` input means
            metadata["tags"] = servable.tags
        return {"model_spec": {"name": name, "signature_name": "", "version": str(servable.version)},
                "metadata": metadata}

    def predict(self, name, body, version=None, label=None):
        """`body`: the request bytes. Returns the response dict; raises `RequestError`."""
        return self.run(self.prepare(name, body, version, label))

    def prepare(self, name, body, version=None, label=None):
        """Parses and checks a request (every 4xx but the model's own); returns what `run` takes."""
        servable = self.servable(name, version, label)
        try:
            return self._prepare(servable, body)
        except RecursionError:
            # json.loads (and walking what it returns) recurses once per nesting level.
            raise RequestError(400, "JSON Parse error: the request nests too deeply.") from None

    def _prepare(self, servable, body):
        try:
            request = _json_loads(body)
        except (ValueError, UnicodeDecodeError) as error:  # json's and orjson's JSONDecodeError are ValueErrors
            if "recursion" in str(error).lower() or "depth limit" in str(error).lower():
                raise RecursionError from None
            raise RequestError(400, f"JSON Parse error: {error}") from None
        if not isinstance(request, dict):
            raise RequestError(400, "The request body must be a JSON object with 'instances' or 'inputs'.")
        if ("instances" in request) == ("inputs" in request):
            raise RequestError(400, "Request must have exactly one of 'instances' (row format) or 'inputs' "
                                    "(columnar format).")
        signature_name = request.get("signature_name") or "serving_default"
        if not isinstance(signature_name, str):
            raise RequestError(400, f"'signature_name' must be a string; got {type(signature_name).__name__}.")
        if signature_name not in servable.signatures:
            raise RequestError(400, f"Serving signature name: {signature_name!r} not found in signature def; "
                                    f"available: {sorted(servable.signatures)}.")
        signature = servable.signatures[signature_name]
        row_format = "instances" in request
        columns = self._columns(request, signature, row_format)
        arrays = {k: _to_array(columns[k], spec, k) for k, spec in signature.inputs.items()}
        for k, array in arrays.items():
            if array.ndim and array.shape[0] > self.max_batch_size:
                raise RequestError(413, f"Input {k!r} has a batch of {array.shape[0]}; this server takes at most "
                                        f"{self.max_batch_size} (--max_batch_size).")
            if k == signature.batch_size_input and array.ndim == 0 and not 0 <= int(array) <= self.max_batch_size:
                raise RequestError(400, f"{k!r} must lie in [0, {self.max_batch_size}] (--max_batch_size); "
                                        f"got {int(array)}.")
        self._check_pixels(signature, arrays)
        return signature, arrays, row_format

    def run(self, prepared):
        """Runs a prepared request's signature; returns the response dict."""
        import tensorflow as tf

        signature, arrays, row_format = prepared
        signature_name = signature.name
        try:
            outputs = signature.function(**{k: tf.constant(v) for k, v in arrays.items()})
        except (tf.errors.InvalidArgumentError, tf.errors.OutOfRangeError) as error:
            message = error.message.split("\n")[0].split("}} ")[-1]
            raise RequestError(400, f"{message} (signature {signature_name!r})") from None
        outputs = {k: v.numpy() for k, v in outputs.items()}
        if row_format:
            batch = {v.shape[0] if v.ndim else None for v in outputs.values()}
            if len(batch) != 1 or None in batch:
                raise RequestError(400, f"Signature {signature_name!r} has outputs that cannot be split into rows; "
                                        "use the columnar format ('inputs').")
            rows = [{k: _jsonable(v[i], k) for k, v in outputs.items()} for i in range(batch.pop())]
            if len(outputs) == 1:
                rows = [next(iter(row.values())) for row in rows]
            return {"predictions": rows}
        jsonable = {k: _jsonable(v, k) for k, v in outputs.items()}
        return {"outputs": next(iter(jsonable.values())) if len(jsonable) == 1 else jsonable}

    def _check_pixels(self, signature, arrays):
        """Refuses a request over the pixel budget before the model sees it.

        Encoded images are measured from their headers (every frame; see
        `check_image_size`): one over the budget is a 400, like an undecodable
        one. Images of all kinds together over `max_request_pixels` are a 413.
        """
        total = 0
        for k, array in arrays.items():
            spec = signature.inputs[k]
            if spec.dtype.name == "string":
                for i, data in enumerate(array.ravel()):
                    try:
                        size = check_image_size(data, self.max_request_pixels, name=f"Image {i} of {k!r}")
                    except ImageTooLargeError as error:
                        raise RequestError(400, f"{error} (read from its header, not decoded; "
                                                "--max_request_pixels)") from None
                    except ValueError as error:
                        raise RequestError(400, f"Image {i} of {k!r} is not a readable image: {error}.") from None
                    total += size.pixels
            elif array.ndim == 4:
                total += int(np.prod(array.shape[:3], dtype=np.int64))
        if total > self.max_request_pixels:
            raise RequestError(413, f"The request holds {total:,} pixels; this server takes at most "
                                    f"{self.max_request_pixels:,} per request (--max_request_pixels).")

    @staticmethod
    def _columns(request, signature, row_format):
        names = list(signature.inputs)
        if not row_format:
            inputs = request["inputs"]
            if isinstance(inputs, dict):
                unknown = set(inputs) - set(names)
                missing = set(names) - set(inputs)
                if unknown or missing:
                    raise RequestError(400, f"'inputs' must name exactly {names}; unknown: {sorted(unknown)}, "
                                            f"missing: {sorted(missing)}.")
                return inputs
            if len(names) != 1:
                raise RequestError(400, f"Signature takes several inputs {names}; pass 'inputs' as an object.")
            return {names[0]: inputs}
        instances = request["instances"]
        if not isinstance(instances, list) or not instances:
            raise RequestError(400, "'instances' must be a non-empty list.")
        if len(names) == 1 and not (isinstance(instances[0], dict) and set(instances[0]) == set(names)):
            return {names[0]: instances}
        if not all(isinstance(row, dict) for row in instances):
            raise RequestError(400, f"Signature takes inputs {names}: each instance must be an object with them.")
        for row in instances:
            if set(row) != set(names):
                raise RequestError(400, f"Each instance must name exactly {names}; got {sorted(row)}.")
        return {name: [row[name] for row in instances] for name in names}


# ------------------------------------------------------------------------------ web
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


async def read_body(request, max_request_bytes, read_timeout=DEFAULT_READ_TIMEOUT, budget=None):
    """The request body, or `RequestError(413)` once it is over `max_request_bytes` (after draining the rest).

    A client that sends nothing for `read_timeout` seconds (fewer bytes than its
    `Content-Length`, then silence) gets `RequestError(408)`. With a `ReadBudget`, the bytes read are taken
    from it as they arrive (503 when it runs out, after giving them back); the caller gives back
    `len(body)` when done with the body.
    """
    too_large = declared_too_large(request, max_request_bytes)
    body, drained = bytearray(), 0
    try:
        return await _read_chunks(request, max_request_bytes, read_timeout, budget, too_large, body, drained)
    except BaseException:
        if budget is not None:
            budget.give(len(body))
        raise


async def _read_chunks(request, max_request_bytes, read_timeout, budget, too_large, body, drained):
    import asyncio

    chunks = request.stream().__aiter__()
    while True:
        try:
            chunk = await asyncio.wait_for(chunks.__anext__(), read_timeout)
        except StopAsyncIteration:
            break
        except asyncio.TimeoutError:
            raise RequestError(408, f"The request body stopped arriving for {read_timeout:g} s "
                                    f"(got {len(body) + drained} bytes; --read_timeout).") from None
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
        self.parsing = asyncio.Semaphore(concurrent)
        self.running = asyncio.Semaphore(concurrent)

    def enter(self):
        if self.admitted >= self.limit:
            raise RequestError(503, f"The server is busy ({self.admitted} requests running or queued); retry "
                                    "in a moment.")
        self.admitted += 1

    def leave(self):
        self.admitted -= 1


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


def header_timeout_protocol(seconds):
    """uvicorn's h11 protocol with a header timeout: a connection that has not sent a whole request line
    and headers `seconds` after it opened (or after its last response) is closed. uvicorn has no such
    timeout, so a client sending its headers a byte at a time would hold its connection forever."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderTimeoutProtocol(H11Protocol):
        def connection_made(self, transport):
            super().connection_made(transport)
            self._header_deadline()

        def on_response_complete(self):
            super().on_response_complete()
            self._header_deadline()

        def _header_deadline(self):
            handle = getattr(self, "_header_timer", None)
            if handle is not None:
                handle.cancel()
            self._header_timer = self.loop.call_later(seconds, self._header_timeout)

        def _header_timeout(self):
            # IDLE: no request line and headers yet (a request being served or read is SEND_BODY or DONE).
            if self.conn.their_state == h11.IDLE and not self.transport.is_closing():
                self.transport.close()

        def connection_lost(self, exc):
            handle = getattr(self, "_header_timer", None)
            if handle is not None:
                handle.cancel()
            super().connection_lost(exc)

    return HeaderTimeoutProtocol


def main(argv=None, prog="python -m keras_animegan.serve"):
    """`keras-animegan serve [flags]`; returns the exit status when the server stops."""
    args = build_parser(prog).parse_args(argv)
    return _serve(args)


def build_parser(prog="python -m keras_animegan.serve"):
    """The flags of `keras-animegan serve` (TF Serving's names where it has them)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve exported generators over TF Serving's REST API (same flags as tensorflow_model_server).")
    parser.add_argument("--model_base_path", required=True,
                        help="A model folder holding version folders (1/, 2/, ...), or a folder of model folders.")
    parser.add_argument("--model_name", default=None, help="Model name in URLs. Default: the folder's name.")
    parser.add_argument("--rest_api_port", type=int, default=8501, help="HTTP port (TF Serving's default: 8501).")
    parser.add_argument("--rest_api_host", default=DEFAULT_HOST,
                        help="Address to bind. Default 127.0.0.1: this machine only. 0.0.0.0 listens on every "
                             "interface (in a container, or behind your own proxy), a deliberate choice.")
    parser.add_argument("--max_request_bytes", type=int, default=DEFAULT_MAX_REQUEST_BYTES,
                        help="Larger request bodies get 413.")
    parser.add_argument("--max_batch_size", type=int, default=DEFAULT_MAX_BATCH_SIZE,
                        help="Largest batch (or generate_images count) per request.")
    parser.add_argument("--max_request_pixels", type=int, default=DEFAULT_MAX_REQUEST_PIXELS,
                        help="Most pixels per request, all images together (encoded images: from their headers). "
                             "Default: 4096x4096.")
    parser.add_argument("--max_concurrent_requests", type=int, default=DEFAULT_MAX_CONCURRENT_REQUESTS,
                        help="Requests that run the model at once.")
    parser.add_argument("--max_queued_requests", type=int, default=DEFAULT_MAX_QUEUED_REQUESTS,
                        help="Requests that wait for a turn; beyond them the server answers 503 with Retry-After.")
    parser.add_argument("--read_timeout", type=float, default=DEFAULT_READ_TIMEOUT,
                        help="Seconds a client may pause while sending a request body (then 408).")
    parser.add_argument("--header_timeout", type=float, default=DEFAULT_HEADER_TIMEOUT,
                        help="Seconds a connection has to send a request's headers (then it is closed).")
    parser.add_argument("--trust_model", action="store_true",
                        help="The SavedModels are yours: no warning that loading them runs their graphs.")
    parser.add_argument("--max_connections", type=int, default=DEFAULT_MAX_CONNECTIONS,
                        help="Open connections at once; beyond them new ones get 503.")
    return parser


def _serve(args):
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        models = find_models(args.model_base_path, args.model_name)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    import uvicorn

    from keras_animegan.utils.trust import warn_untrusted

    warn_untrusted(args.model_base_path, "folder of SavedModels", args.trust_model)

    for flag in ("max_request_bytes", "max_batch_size", "max_request_pixels", "max_concurrent_requests",
                 "read_timeout", "header_timeout", "max_connections"):
        if getattr(args, flag) <= 0:
            print(f"error: --{flag} must be positive; got {getattr(args, flag)}.", file=sys.stderr)
            return 2
    if args.max_queued_requests < 0:
        print(f"error: --max_queued_requests must be >= 0; got {args.max_queued_requests}.", file=sys.stderr)
        return 2
    # The event loop (reading bodies, answering bad requests) shares the GIL with the parser threads: hand
    # the GIL over more often than every 5 ms, so it keeps answering while a big body is parsed.
    sys.setswitchinterval(0.001)
    server = Server(models, max_batch_size=args.max_batch_size, max_request_pixels=args.max_request_pixels)
    for name in models:
        logger.info("REST API: http://%s:%d/v1/models/%s", args.rest_api_host, args.rest_api_port, name)
    app = make_app(server, args.max_request_bytes, args.max_concurrent_requests, args.max_queued_requests,
                   args.read_timeout)
    uvicorn.run(app, host=args.rest_api_host, port=args.rest_api_port, log_level="warning",
                timeout_keep_alive=5, http=header_timeout_protocol(args.header_timeout),
                limit_concurrency=args.max_connections)
    return 0


if __name__ == "__main__":
    sys.exit(main())

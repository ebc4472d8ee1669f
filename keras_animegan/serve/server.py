"""`Server`: the models of a store answering TF Serving's status, metadata and predict requests."""

import logging

import numpy as np

from keras_animegan.utils.image_size import ImageTooLargeError
from keras_animegan.utils.image_size import check_image_size
from keras_animegan.utils.versions import version_number

from keras_animegan.serve.codec import _json_loads
from keras_animegan.serve.codec import _jsonable
from keras_animegan.serve.codec import _to_array
from keras_animegan.serve.limits import DEFAULT_MAX_BATCH_SIZE
from keras_animegan.serve.limits import DEFAULT_MAX_REQUEST_PIXELS
from keras_animegan.serve.limits import RequestError
from keras_animegan.serve.store import Servable

logger = logging.getLogger("keras_animegan.serve")


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
        number = version_number(version)
        if number is None or number not in versions:
            shown = version if len(str(version)) <= 40 else f"{str(version)[:40]}..."
            raise RequestError(404, f"Servable not found for request: Specific({name}, {shown})")
        return versions[number]

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

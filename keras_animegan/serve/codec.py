"""TF Serving's JSON: request bodies to arrays (`{"b64": ...}` strings included) and arrays back to JSON."""

import base64
import binascii
import json

import numpy as np

from keras_animegan.serve.limits import RequestError


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

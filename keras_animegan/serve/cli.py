"""`keras-animegan serve` / `python -m keras_animegan.serve`: the flags (TF Serving's names) and the run."""

import argparse
import logging
import sys

from keras_animegan.serve.app import make_app
from keras_animegan.serve.connections import guarded_protocol
from keras_animegan.serve.limits import DEFAULT_BUSY_WAIT
from keras_animegan.serve.limits import DEFAULT_HEADER_TIMEOUT
from keras_animegan.serve.limits import DEFAULT_HOST
from keras_animegan.serve.limits import DEFAULT_MAX_BATCH_SIZE
from keras_animegan.serve.limits import DEFAULT_MAX_CONCURRENT_REQUESTS
from keras_animegan.serve.limits import DEFAULT_MAX_CONNECTIONS
from keras_animegan.serve.limits import DEFAULT_MAX_QUEUED_REQUESTS
from keras_animegan.serve.limits import DEFAULT_MAX_REQUEST_BYTES
from keras_animegan.serve.limits import DEFAULT_MAX_REQUEST_PIXELS
from keras_animegan.serve.limits import DEFAULT_READ_TIMEOUT
from keras_animegan.serve.limits import DEFAULT_MAX_CONNECTIONS_PER_CLIENT
from keras_animegan.serve.limits import DEFAULT_MIN_BODY_RATE
from keras_animegan.serve.server import Server
from keras_animegan.serve.store import find_models

logger = logging.getLogger("keras_animegan.serve")


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
    parser.add_argument("--busy_wait", type=float, default=DEFAULT_BUSY_WAIT,
                        help="Seconds a request that finds every running and queued slot taken waits for one, its "
                             "body unread, before it gets 503 (0: at once).")
    parser.add_argument("--read_timeout", type=float, default=DEFAULT_READ_TIMEOUT,
                        help="Seconds a client may pause while sending a request body (then 408).")
    parser.add_argument("--min_body_rate", type=float, default=DEFAULT_MIN_BODY_RATE,
                        help="Bytes per second a request body must average after its first --read_timeout seconds "
                             "(then 408): a body trickling in cannot hold a connection for long.")
    parser.add_argument("--header_timeout", type=float, default=DEFAULT_HEADER_TIMEOUT,
                        help="Seconds a connection has to send a request's headers (then it is closed).")
    parser.add_argument("--trust_model", action="store_true",
                        help="The SavedModels are yours: no warning that loading them runs their graphs.")
    parser.add_argument("--max_connections", type=int, default=DEFAULT_MAX_CONNECTIONS,
                        help="Open connections at once; beyond, a new one is held a second and answered 503.")
    parser.add_argument("--max_connections_per_client", type=int, default=DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
                        help="Connections one client address may hold waiting (headers or body still arriving, or "
                             "idle); each second, its newest waiting connections beyond this, once 5 s old, are "
                             "closed. A "
                             "connection whose request has arrived whole is never closed.")
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
                 "read_timeout", "header_timeout", "max_connections", "max_connections_per_client",
                 "min_body_rate"):
        if getattr(args, flag) <= 0:
            print(f"error: --{flag} must be positive; got {getattr(args, flag)}.", file=sys.stderr)
            return 2
    for flag in ("max_queued_requests", "busy_wait"):
        if getattr(args, flag) < 0:
            print(f"error: --{flag} must be >= 0; got {getattr(args, flag)}.", file=sys.stderr)
            return 2
    # The event loop (reading bodies, answering bad requests) shares the GIL with the parser threads: hand
    # the GIL over more often than every 5 ms, so it keeps answering while a big body is parsed.
    sys.setswitchinterval(0.001)
    server = Server(models, max_batch_size=args.max_batch_size, max_request_pixels=args.max_request_pixels)
    for name in models:
        logger.info("REST API: http://%s:%d/v1/models/%s", args.rest_api_host, args.rest_api_port, name)
    app = make_app(server, args.max_request_bytes, args.max_concurrent_requests, args.max_queued_requests,
                   args.read_timeout, args.min_body_rate, args.busy_wait)
    raise_open_files_limit(args.max_connections + 64)
    protocol = guarded_protocol(args.header_timeout, args.max_connections, args.max_connections_per_client)
    uvicorn.run(app, host=args.rest_api_host, port=args.rest_api_port, log_level="warning",
                timeout_keep_alive=5, http=protocol)
    return 0


def raise_open_files_limit(wanted):
    """Raises this process's open-files limit toward `wanted` (up to the hard limit), so `--max_connections`
    sockets can be open at once; says so when the hard limit is lower."""
    try:
        import resource
    except ImportError:  # not on POSIX
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if hard != resource.RLIM_INFINITY and hard < wanted:
        logger.warning("The open-files limit is %d, under --max_connections + 64 = %d: connections past it are "
                       "refused by the system (raise `ulimit -n`).", hard, wanted)

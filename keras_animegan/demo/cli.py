"""`keras-animegan demo`: its flags and the run (load the models, warm up, serve the page)."""

import argparse
import sys

from keras_animegan.demo.core import DEFAULT_PRESETS
from keras_animegan.demo.core import Demo
from keras_animegan.demo.page import _gradio
from keras_animegan.demo.page import build_app
from keras_animegan.demo.page import launch
from keras_animegan.demo.uploads import MAX_FILE_SIZE
from keras_animegan.demo.uploads import DemoError


def build_parser(parser=None):
    parser = parser or argparse.ArgumentParser(prog="keras-animegan demo", description=__doc__.split("\n")[0])
    parser.add_argument("--preset", action="append", default=None,
                        help="A preset name or folder (repeat for more). Default: the shipped presets "
                             f"({', '.join(DEFAULT_PRESETS)}), unless --model is given.")
    parser.add_argument("--model", action="append", default=None,
                        help="A SavedModel export or .keras file (repeat for more): one DCGAN and any translators.")
    parser.add_argument("--host", default="127.0.0.1", help="Interface to listen on (0.0.0.0: all).")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--max_file_size", type=int, default=MAX_FILE_SIZE, help="Largest upload in bytes.")
    parser.add_argument("--no_warm_up", action="store_true", help="Skip tracing the models before serving.")
    parser.add_argument("--upscaler", default=None,
                        help="What grows avatars to 256 px when that size is picked: an upscaler preset name or "
                             "folder, export or .keras file, or none (bicubic). Default: upscaler_avatars_x4.")
    return parser


def run(args):
    """`keras-animegan demo` with parsed `args`: load, warm up, serve until interrupted."""
    _gradio()  # fail before loading models when the extra is missing
    demo = Demo.load(args.preset, args.model, upscaler=args.upscaler)
    app = build_app(demo)
    if not args.no_warm_up:
        demo.warm_up()
    try:
        launch(app, args.host, args.port, max_file_size=args.max_file_size)
    except OSError as error:  # port taken, bad host
        raise DemoError(f"Cannot serve on {args.host}:{args.port}: {error}") from None
    except KeyboardInterrupt:
        app.close()
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except DemoError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

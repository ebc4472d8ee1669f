"""The `keras-animegan` command: generate avatars, translate photos / folders / videos, export models.

    keras-animegan generate runs/dcgan/export/dcgan --num 64 --output avatars.png
    keras-animegan generate runs/dcgan/dcgan.keras --num 500 --output avatars/
    keras-animegan translate runs/cyclegan/export/cyclegan_ab photo.jpg --output anime.png
    keras-animegan translate runs/cartoongan/cartoongan.keras photos/ --output cartoons/ --crop_faces
    keras-animegan translate runs/cyclegan/cyclegan.keras clip.mp4 --output clip_anime.mp4
    keras-animegan export runs/cyclegan/cyclegan.keras --export_dir exports --format saved_model
    keras-animegan demo                      # the presets in the browser (the demo extra)
    keras-animegan train dcgan --image_dir my_avatars/ --epochs 10
    keras-animegan serve --model_base_path runs/dcgan/export/dcgan

A MODEL is a SavedModel written by `keras_animegan.export` (a version folder,
or a model folder holding version folders: the highest is used), a `.tflite`
file, or a `.keras` file saved by a trainer. Also runs as `python -m keras_animegan.cli`.
Each command is one module of `keras_animegan.commands`.
"""

import argparse
import sys

from keras_animegan.commands import UserError
from keras_animegan.commands import load_commands

#: A user error: printed as `error: ...`, exit status 2 (the model loader's errors are the same class).
CLIError = UserError


def build_parser(commands=None):
    commands = commands or load_commands()
    parser = argparse.ArgumentParser(prog="keras-animegan", description=__doc__.split("\n")[0],
                                     epilog="TensorFlow's own log lines are hidden unless you set "
                                            "TF_CPP_MIN_LOG_LEVEL (0 shows them all).")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name, command in commands.items():
        sub = subparsers.add_parser(name, help=command.help, add_help=not command.takes_rest)
        if not command.takes_rest:
            command.add_arguments(sub)
        sub.set_defaults(command_class=command)
    return parser


def main(argv=None):
    """The `keras-animegan` command; returns its exit status (2: a user error, named on stderr)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    commands = load_commands()
    try:
        if argv and argv[0] in commands and commands[argv[0]].takes_rest:
            _quiet_keras()
            return commands[argv[0]]().run_rest(argv[1:])
        args = build_parser(commands).parse_args(argv)
        command = args.command_class()
        command.check(args)  # before TensorFlow loads: a wrong path is named at once
        _quiet_keras()
        return command.run(args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _quiet_keras():
    """Imports Keras (and its backend) with TensorFlow's start-up log lines hidden, once a command runs."""
    from keras_animegan.utils.quiet import quiet_imports

    with quiet_imports():
        import keras  # noqa: F401


if __name__ == "__main__":
    sys.exit(main())

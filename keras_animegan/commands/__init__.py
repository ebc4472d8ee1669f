"""The `keras-animegan` commands: one module each, registered with one decorator.

    @register_command
    class HelloCommand(Command):
        name = "hello"
        help = "Says hello."

        @staticmethod
        def add_arguments(parser):
            parser.add_argument("--who", default="world")

        def run(self, args):
            print(f"hello {args.who}")
            return 0

A module in this package that defines such a class is a command: `keras-animegan` imports every
module here to build its parser (as diffusers' `register_subcommand`), so a command module imports
only the standard library and light helpers at its top, and TensorFlow and Keras inside `run`.
That keeps `keras-animegan --help` fast. A command with its own parser (the trainers' flags, the
server's) sets `takes_rest = True`: `run_rest(argv)` gets the rest of the command line.
"""

import importlib
import pkgutil

from keras_animegan.utils.errors import UserError  # noqa: F401 - what a command raises for a user's mistake


class Command:
    """One `keras-animegan <name>` command."""

    #: The word on the command line.
    name = None
    #: One line for `keras-animegan --help`.
    help = ""
    #: True: the command parses its own arguments (`run_rest(argv)`); `keras-animegan` passes them on.
    takes_rest = False

    @staticmethod
    def add_arguments(parser):
        """Adds the command's arguments to its `argparse` sub-parser."""

    def check(self, args):
        """Checks what needs no model and no TensorFlow (paths that must exist, numbers) before Keras and its
        backend are imported, so a mistake is named in a fraction of a second; raises `UserError`."""

    def run(self, args):
        """Runs with the parsed `args`; returns the exit status (raise `UserError` for a user's mistake)."""
        raise NotImplementedError

    def run_rest(self, argv):
        """Runs a `takes_rest` command on the rest of the command line; returns the exit status."""
        raise NotImplementedError


COMMANDS = {}


def register_command(cls):
    """Class decorator: makes a `Command` subclass a `keras-animegan` command."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no `name`.")
    COMMANDS[cls.name] = cls
    return cls


def load_commands():
    """`{name: Command class}` of every command module in this package, in the order of `ORDER` then by name."""
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    order = {name: i for i, name in enumerate(ORDER)}
    return dict(sorted(COMMANDS.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))


#: The order of `keras-animegan --help`; commands not listed follow by name.
ORDER = ("train", "serve", "generate", "tags", "translate", "upscale", "export", "demo")

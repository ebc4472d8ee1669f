"""A command added as the contributor page says: one module in `keras_animegan/commands/` with one registered
`Command` class. `keras-animegan` finds it (its `--help` lists it, its flags parse, its errors are one line)
with no edit anywhere else; the module here is written to a folder put on the commands package's path."""

import sys
import textwrap

import pytest

from keras_animegan import commands
from keras_animegan.cli import main

HELLO = textwrap.dedent('''
    """`keras-animegan hello`: a toy command."""

    from keras_animegan.commands import Command
    from keras_animegan.commands import UserError
    from keras_animegan.commands import register_command


    @register_command
    class HelloCommand(Command):
        name = "hello"
        help = "Says hello."

        @staticmethod
        def add_arguments(parser):
            parser.add_argument("--who", default="world")

        def run(self, args):
            if not args.who:
                raise UserError("--who: give a name.")
            print(f"hello {args.who}")
            return 0
''')


@pytest.fixture
def hello_module(tmp_path, monkeypatch):
    (tmp_path / "hello.py").write_text(HELLO)
    monkeypatch.setattr(commands, "__path__", [*commands.__path__, str(tmp_path)])
    monkeypatch.setattr(commands, "COMMANDS", dict(commands.COMMANDS))
    yield
    sys.modules.pop("keras_animegan.commands.hello", None)


def test_a_new_command_module_is_found_and_runs(hello_module, capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    assert "hello" in listed and "Says hello." in listed
    assert main(["hello", "--who", "you"]) == 0
    assert capsys.readouterr().out == "hello you\n"
    assert main(["hello", "--who", ""]) == 2
    assert capsys.readouterr().err.strip() == "error: --who: give a name."

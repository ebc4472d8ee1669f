"""`keras-animegan serve [flags]`: TF Serving's REST API over exported models."""

from keras_animegan.commands import Command
from keras_animegan.commands import register_command


@register_command
class ServeCommand(Command):
    name = "serve"
    help = "TF Serving's REST API over exported models (`keras-animegan serve --help`)."
    takes_rest = True

    def run_rest(self, argv):
        from keras_animegan import serve as serve_module

        return serve_module.main(argv, prog="keras-animegan serve")

"""`keras-animegan demo`: the models in the browser (Gradio: the demo extra)."""

from keras_animegan.commands import Command
from keras_animegan.commands import UserError
from keras_animegan.commands import register_command


@register_command
class DemoCommand(Command):
    name = "demo"
    help = "The models in the browser: generate, interpolate, translate (Gradio: the demo extra, pip install \".[demo]\" from a clone)."

    @staticmethod
    def add_arguments(parser):
        from keras_animegan import demo as demo_module  # numpy only: Gradio is imported when the demo runs

        demo_module.build_parser(parser)

    def run(self, args):
        from keras_animegan import demo as demo_module

        try:
            return demo_module.run(args)
        except demo_module.DemoError as error:
            raise UserError(str(error)) from None

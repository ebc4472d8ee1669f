"""`keras-animegan tags`: the tags a tagged model knows, one a line: the tag, then its group."""

import os
import sys

from keras_animegan.commands import Command
from keras_animegan.commands import UserError
from keras_animegan.commands import register_command
from keras_animegan.commands._output import add_trust_flag


@register_command
class TagsCommand(Command):
    name = "tags"
    help = ("The tags a tagged model (export, .keras or preset) or a photo-to-avatar preset takes: one a line, "
            "the tag, then its group.")

    @staticmethod
    def add_arguments(parser):
        add_trust_flag(parser)
        parser.add_argument("model", nargs="?", help="A SavedModel folder, .keras or .tflite file (or use --preset).")
        parser.add_argument("--preset", default=None, help="A shipped preset name or a preset folder, instead of MODEL.")

    def run(self, args):
        from keras_animegan.inference import Generator
        from keras_animegan.photo2avatar.pipeline import is_pipeline_preset

        extra = ""
        if is_pipeline_preset(args.preset):  # a photo-to-avatar preset: its generator's tags, and the expressions
            from keras_animegan.photo2avatar import Photo2Avatar

            try:
                vocabulary = Photo2Avatar.from_preset(args.preset).vocabulary
            except ValueError as error:
                raise UserError(f"--preset: {error}") from None
            extra = "smile\texpression\nno_smile\texpression\n"
        else:
            model = Generator(args.model, preset=args.preset, trust=args.trust_model)
            vocabulary = getattr(model, "tag_vocabulary", None)
            if vocabulary is None:
                raise UserError(f"MODEL {model.path!r} takes no tags (it draws from {model.kind} only).")
        text = "".join(f"{tag}\t{group}\n" for tag, group in zip(vocabulary.tags, vocabulary.groups)) + extra
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:  # `keras-animegan tags ... | head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0

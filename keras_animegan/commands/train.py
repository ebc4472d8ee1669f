"""`keras-animegan train MODEL [flags]`: the trainer of a registered model, with its own flags."""

import sys

from keras_animegan.commands import Command
from keras_animegan.commands import register_command


@register_command
class TrainCommand(Command):
    name = "train"
    help = "Train a model (dcgan, cyclegan, cartoongan, ...) on your images (`keras-animegan train dcgan --help`)."
    takes_rest = True

    def run_rest(self, argv):
        from keras_animegan.models import registered_models

        models = {name: entry for name, entry in registered_models().items() if entry.trainer is not None}
        if not argv or argv[0] in ("-h", "--help"):
            listing = "\n".join(f"  {name:<11} {entry.description}" for name, entry in models.items())
            print(f"usage: keras-animegan train {{{','.join(models)}}} [flags]\n\n"
                  "Trains a model; rerunning the same command resumes. `keras-animegan train dcgan --help` lists "
                  f"the flags.\n\n{listing}")
            return 0 if argv else 2
        if argv[0] not in models:
            print(f"error: keras-animegan train: unknown model {argv[0]!r}; choose from {', '.join(models)}.",
                  file=sys.stderr)
            return 2
        return models[argv[0]].trainer_class().main(argv[1:])

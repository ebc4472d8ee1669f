"""`keras-animegan generate`: N avatars from a noise generator to a folder of PNGs or one grid."""

import math
import os

from keras_animegan.commands import Command
from keras_animegan.commands import UserError
from keras_animegan.commands import register_command
from keras_animegan.commands._output import add_trust_flag
from keras_animegan.commands._output import add_upscaler_flags
from keras_animegan.commands._output import folder_name
from keras_animegan.commands._output import positive_int
from keras_animegan.commands._output import progress
from keras_animegan.commands._output import save
from keras_animegan.utils.decoding import IMAGE_EXTENSIONS


@register_command
class GenerateCommand(Command):
    name = "generate"
    help = "N avatars from a noise or tag generator (export, .keras or preset) to a folder or one grid PNG."

    @staticmethod
    def add_arguments(parser):
        add_trust_flag(parser)
        parser.add_argument("model", nargs="?", help="A SavedModel folder, .keras or .tflite file (or use --preset).")
        parser.add_argument("--preset", default=None, help="A shipped preset name (keras_animegan.list_presets()) "
                                                           "or a preset folder, instead of MODEL.")
        parser.add_argument("--num", type=positive_int("--num"), default=64, help="Number of images.")
        parser.add_argument("--output", required=True,
                            help="A folder (one PNG per image) or a .png/.jpg path (one grid).")
        parser.add_argument("--seed", type=int, default=0, help="Noise seed (same seed, same images).")
        parser.add_argument("--tags", default=None,
                            help="A tagged model's tags, comma-separated (blue_hair,glasses): those flags on, the "
                                 "others off, each group not given drawn from the training set. Default: every "
                                 "tag drawn. `keras-animegan tags` lists them.")
        parser.add_argument("--columns", type=int, default=None, help="Grid columns (default: square).")
        parser.add_argument("--batch_size", type=int, default=64)
        parser.add_argument("--prefix", default="avatar", help="File name prefix in a folder.")
        parser.add_argument("--size", type=positive_int("--size"), default=None,
                            help="Side of each image in pixels: larger than the generator's own (e.g. 256 from a 64 "
                                 "px preset) goes through --upscaler. Default: the generator's own size.")
        add_upscaler_flags(parser, "the images")

    def check(self, args):
        if args.model is not None and not os.path.exists(args.model):
            raise UserError(f"MODEL {args.model!r}: no such file or folder.")

    def run(self, args):
        import numpy as np

        from keras_animegan.inference import Generator
        from keras_animegan.inference import Resizer
        from keras_animegan.utils.pixels import to_uint8

        if args.upscaler is not None and args.size is None:
            raise UserError("--upscaler needs --size (the side the images grow to, e.g. --size 256).")
        resizer = Resizer(args.upscaler) if args.size else None
        model = Generator(args.model, preset=args.preset, trust=args.trust_model)
        if model.kind not in ("noise", "tags"):
            raise UserError(f"MODEL {model.path!r} translates images; use `keras-animegan translate`.")
        if args.num < 1:
            raise UserError(f"--num must be a positive integer; got {args.num}.")
        noise = model.inputs(args.seed, args.num, args.tags)
        images = []
        with progress(total=args.num, desc="generate") as bar:
            for start in range(0, args.num, args.batch_size):
                batch = np.asarray(to_uint8(model(noise[start:start + args.batch_size])))
                images.append(batch if resizer is None else resizer.resize(batch, args.size))
                bar.update(len(images[-1]))
        write_images(np.concatenate(images), args)
        return 0


def write_images(images, args):
    """One grid at `--output` when it names an image file, else one PNG per image in the folder."""
    if args.output.lower().endswith(IMAGE_EXTENSIONS):
        from keras_animegan.visualization import make_grid

        save(make_grid(images, args.columns or math.ceil(math.sqrt(len(images)))), args.output)
        print(f"Wrote a grid of {len(images)} images to {args.output}.")
        return
    os.makedirs(args.output, exist_ok=True)
    for i, image in enumerate(images):
        save(image, os.path.join(args.output, f"{args.prefix}_{i:05d}.png"))
    print(f"Wrote {len(images)} images to {folder_name(args.output)}.")

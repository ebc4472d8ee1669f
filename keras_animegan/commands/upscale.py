"""`keras-animegan upscale`: an image or a folder of images through an upscaler (x4 by default)."""

import os

from keras_animegan.commands import Command
from keras_animegan.commands import UserError
from keras_animegan.commands import register_command
from keras_animegan.commands._output import add_trust_flag
from keras_animegan.commands._output import positive_int
from keras_animegan.commands._output import save
from keras_animegan.utils.decoding import IMAGE_EXTENSIONS
from keras_animegan.utils.decoding import is_image_name
from keras_animegan.utils.decoding import read_image_file

#: Largest image to upscale by default (pixels): 1024 x 1024 in, 4096 x 4096 out at x4.
DEFAULT_MAX_PIXELS = 1024 * 1024


@register_command
class UpscaleCommand(Command):
    name = "upscale"
    help = "An image or a folder of images 4x larger through an upscaler (default: the upscaler_avatars_x4 preset)."

    @staticmethod
    def add_arguments(parser):
        add_trust_flag(parser)
        parser.add_argument("input", help="Image file, or folder of images (searched recursively).")
        parser.add_argument("--preset", default=None, help="An upscaler preset name or folder. Default: "
                                                           "upscaler_avatars_x4 (unless --model is given).")
        parser.add_argument("--model", default=None, help="An upscaler .keras file, SavedModel folder or .tflite "
                                                          "file instead of --preset.")
        parser.add_argument("--output", required=True, help="Output image file, or folder (one PNG per input, "
                                                            "named after it).")
        parser.add_argument("--max_pixels", type=positive_int("--max_pixels"), default=DEFAULT_MAX_PIXELS,
                            help="Largest image to upscale, in pixels (from its header, before decoding); larger "
                                 f"files are skipped. Default: {DEFAULT_MAX_PIXELS:,} (1024x1024).")

    def run(self, args):
        from keras_animegan.inference import DEFAULT_UPSCALER
        from keras_animegan.inference import Generator

        if args.preset is not None and args.model is not None:
            raise UserError("Give --preset or --model, not both.")
        if not os.path.exists(args.input):
            raise UserError(f"INPUT {args.input!r}: no such file or folder.")
        if args.model is not None:
            model = Generator(args.model, trust=args.trust_model)
        else:
            model = Generator(preset=args.preset or DEFAULT_UPSCALER)
        if model.kind != "upscale":
            raise UserError(f"{model.path!r} is not an upscaler (it takes {model.kind}); "
                            f"`keras-animegan {'generate' if model.kind in ('noise', 'tags') else 'translate'}` "
                            "runs it.")
        if os.path.isdir(args.input):
            return upscale_folder(model, args.input, args.output, args.max_pixels)
        return upscale_file(model, args.input, args.output, args.max_pixels)


def _read(path, max_pixels):
    try:
        return read_image_file(path, max_pixels)
    except Exception as error:  # noqa: BLE001 - Pillow raises several kinds for a bad file
        raise UserError(f"INPUT {path!r} is not a readable image: {error}") from None


def upscale_file(model, source, output, max_pixels):
    from keras_animegan.commands._folders import output_file

    if not is_image_name(source):
        raise UserError(f"INPUT {source!r} is not an image ({', '.join(IMAGE_EXTENSIONS)}) or a folder.")
    image = _read(source, max_pixels)
    output = output_file(source, output)
    save(model.upscale_image(image), output)
    print(f"Wrote {output}.")
    return 0


def upscale_folder(model, source, output, max_pixels):
    from keras_animegan.commands._folders import map_folder

    return map_folder(source, output, model.upscale_image, max_pixels, "upscale")

"""`keras-animegan translate`: an image, a folder of images or a video through a translator."""

import os
import sys

from keras_animegan.commands import Command
from keras_animegan.commands import UserError
from keras_animegan.commands import register_command
from keras_animegan.commands._output import add_trust_flag
from keras_animegan.commands._output import add_upscaler_flags
from keras_animegan.commands._output import positive_int
from keras_animegan.commands._output import save
from keras_animegan.commands._folders import map_folder
from keras_animegan.commands._folders import output_file
from keras_animegan.commands._video import VIDEO_EXTENSIONS
from keras_animegan.utils.decoding import IMAGE_EXTENSIONS
from keras_animegan.utils.decoding import is_image_name
from keras_animegan.utils.decoding import read_image_file
from keras_animegan.utils.image_size import DEFAULT_MAX_PIXELS
from keras_animegan.utils.resize import resize_longer_side


@register_command
class TranslateCommand(Command):
    name = "translate"
    help = ("An image, a folder or a video through a translator (CycleGAN/CartoonGAN export, .keras or preset), "
            "or face photos to their avatars (--preset photo2avatar_64).")

    @staticmethod
    def add_arguments(parser):
        add_trust_flag(parser)
        parser.add_argument("model", nargs="?", help="Translator SavedModel folder, .keras or .tflite file "
                                                     "(or use --preset).")
        parser.add_argument("input", nargs="?", help="Image file, folder of images (recursive) or video file.")
        parser.add_argument("--preset", default=None, help="A shipped preset name (keras_animegan.list_presets()) "
                                                           "or a preset folder, instead of MODEL.")
        parser.add_argument("--example", action="store_true",
                            help="Translate the example photo that ships with the package (NASA's public-domain "
                                 "portrait of Eileen Collins) instead of INPUT.")
        parser.add_argument("--output", required=True, help="Output file (image/video) or folder.")
        parser.add_argument("--direction", default=None,
                            help="For a model with several generators (CycleGAN .keras: ab = A->B, the default, "
                                 "or ba).")
        parser.add_argument("--crop_faces", action="store_true",
                            help="Crop each image to its face first (MediaPipe mesh).")
        parser.add_argument("--crop_size", type=int, default=None,
                            help="Side of the face crop (default: the crop's own).")
        parser.add_argument("--max_pixels", type=positive_int("--max_pixels"), default=DEFAULT_MAX_PIXELS,
                            help="Largest image to read, in pixels (from its header, before decoding); larger files "
                                 f"are skipped. Default: {DEFAULT_MAX_PIXELS:,} (4096x4096).")
        parser.add_argument("--show_tags", action="store_true",
                            help="Photo-to-avatar presets: print the tags read off each photo.")
        parser.add_argument("--tags", default=None,
                            help="Photo-to-avatar presets: tags put over the ones read, comma-separated "
                                 "(blue_hair,glasses; no_glasses turns a read flag off).")
        parser.add_argument("--seed", type=int, default=None,
                            help="Photo-to-avatar presets: another avatar of the same tags (default: the photo's own "
                                 "seed, so a photo always gives the same avatar).")
        parser.add_argument("--size", type=positive_int("--size"), default=None,
                            help="Resize each image (after any face crop) so its longer side is SIZE px before "
                                 "translating; the output has that size. Default: the input's own size. With a "
                                 "photo-to-avatar preset: the avatar's size (default: the generator's, 64; "
                                 "larger goes through --upscaler).")
        add_upscaler_flags(parser, "photo-to-avatar presets' avatars")

    def check(self, args):
        if args.example:
            return
        source = input_path(args)
        if args.model is not None and not os.path.exists(args.model):
            raise UserError(f"MODEL {args.model!r}: no such file or folder.")
        if not os.path.exists(source):
            raise UserError(f"INPUT {source!r}: no such file or folder.")

    def run(self, args):
        from keras_animegan.commands import _photo2avatar
        from keras_animegan.inference import Generator

        source = input_path(args)
        if _photo2avatar.check_flags(args):
            return _photo2avatar.run(args, source)
        model = Generator(args.model, direction=args.direction, preset=args.preset, trust=args.trust_model)
        if model.kind == "upscale":
            raise UserError(f"MODEL {model.path!r} is an upscaler; use `keras-animegan upscale`.")
        if model.kind != "image":
            raise UserError(f"MODEL {model.path!r} generates from noise{' and tags' if model.kind == 'tags' else ''}; "
                            "use `keras-animegan generate`.")
        crop = FaceCropper(args.crop_size) if args.crop_faces else None
        if not os.path.exists(source):
            raise UserError(f"INPUT {source!r}: no such file or folder.")
        if os.path.isdir(source):
            return translate_folder(model, source, args.output, crop, args.size, args.max_pixels)
        if source.lower().endswith(VIDEO_EXTENSIONS):
            from keras_animegan.commands._video import translate_video

            return translate_video(source, args.output,
                                   lambda frame: translate_one(model, frame, crop, args.size), crop)
        return translate_file(model, source, args.output, crop, args.size, args.max_pixels)


def input_path(args):
    """INPUT: the second positional (the first with `--preset`), or the example photo with `--example`."""
    if args.preset is not None and args.input is None:  # `translate --preset NAME face.png`: one positional
        args.model, args.input = None, args.model
    if args.example:
        if args.input is not None:
            raise UserError(f"Give INPUT or --example, not both (INPUT {args.input!r}).")
        from keras_animegan.data.embedded import demo_photos

        return demo_photos()[0]
    if args.input is None:
        raise UserError("INPUT is missing: `keras-animegan translate MODEL INPUT`, `translate --preset NAME INPUT`, "
                        "or `--example` for the package's example photo.")
    return args.input


class FaceCropper:
    """`--crop_faces`: a square crop around the face of each image, counting the images without one.

    An image without a face gets its center square (as `crop_face` does), and
    is counted in `no_face`, so the command can say how many.
    """

    def __init__(self, size=None):
        try:
            from keras_animegan.landmarks import FaceMesh
            from keras_animegan.landmarks import crop_face
        except ImportError as error:
            raise UserError(f"--crop_faces needs the landmarks module's dependencies ({error}).") from None
        self.mesh, self.crop_face, self.size, self.no_face = FaceMesh(), crop_face, size, 0

    def __call__(self, image):
        result = self.mesh(image)
        if not result.found:
            self.no_face += 1
        return self.crop_face(image, result, size=self.size)

    def report(self, what="image(s)"):
        if self.no_face:
            print(f"warning: {self.no_face} {what} had no face: center-cropped instead (--crop_faces).",
                  file=sys.stderr)
        return f"; {self.no_face} without a face (center-cropped)"


def translate_one(model, image, crop, size=None):
    """One uint8 image: face crop (if asked), `--size`, the translator."""
    if crop is not None:
        image = crop(image)
    return model.translate_image(resize_longer_side(image, size))


def translate_file(model, source, output, crop, size, max_pixels):
    if not is_image_name(source):
        raise UserError(f"INPUT {source!r} is not an image ({', '.join(IMAGE_EXTENSIONS)}), a video "
                        f"({', '.join(VIDEO_EXTENSIONS)}) or a folder.")
    try:
        image = read_image_file(source, max_pixels)
    except Exception as error:  # noqa: BLE001 - Pillow raises several kinds for a bad file
        raise UserError(f"INPUT {source!r} is not a readable image: {error}") from None
    output = output_file(source, output)
    save(translate_one(model, image, crop, size), output)
    print(f"Wrote {output}{crop.report() if crop else ''}.")
    return 0


def translate_folder(model, source, output, crop, size=None, max_pixels=DEFAULT_MAX_PIXELS):
    return map_folder(source, output, lambda image: translate_one(model, image, crop, size), max_pixels, "translate",
                      crop.report if crop else None)

"""`keras-animegan export`: a `.keras` model or a preset in one export format (SavedModel, ONNX, LiteRT)."""

import os

from keras_animegan.commands import Command
from keras_animegan.commands import UserError
from keras_animegan.commands import register_command
from keras_animegan.commands._output import add_trust_flag
from keras_animegan.commands._output import positive_int
from keras_animegan.export import formats  # the format modules import no TensorFlow until they run


@register_command
class ExportCommand(Command):
    name = "export"
    help = "A .keras model or a preset as a SavedModel (TF Serving's layout), ONNX or LiteRT files (--format)."

    @staticmethod
    def add_arguments(parser):
        add_trust_flag(parser)
        parser.add_argument("model", nargs="?", help=".keras file saved by a trainer (or use --preset).")
        parser.add_argument("--preset", default=None, help="A shipped preset name or a preset folder.")
        parser.add_argument("--format", action="append", choices=list(formats()), default=None,
                            help="; ".join(f"{f.name}{' (the default)' if f.name == 'saved_model' else ''}: "
                                           f"{f.writes.replace('`', '')}" for f in formats().values())
                                 + ". Repeat for several.")
        parser.add_argument("--export_dir", required=True, help="The base folder of the exports.")
        parser.add_argument("--name", default=None,
                            help="Export name (default: the file's name; CycleGAN adds _ab/_ba).")
        parser.add_argument("--version", type=int, default=1, help="saved_model: the version folder.")
        parser.add_argument("--onnx", action="store_true", help="Same as --format saved_model --format onnx.")
        parser.add_argument("--litert", action="store_true", help="Same as --format litert.")
        parser.add_argument("--quantize", default="none", choices=["none", "fp16", "int8"],
                            help="litert: weights in float32, float16, or int8 (weights and activations, "
                                 "calibrated on --representative).")
        parser.add_argument("--size", type=positive_int("--size"), default=None,
                            help="litert: a translator's image side (default: its training size; the photo "
                                 "translator: 256 and 512).")
        parser.add_argument("--upscaler", default=None,
                            help="A noise or tag generator: an upscaler preset name or folder (or .keras file) "
                                 "put after it, so the export answers with the larger images in one call (e.g. "
                                 "--upscaler upscaler_avatars_x4: 256 px avatars from a 64 px preset).")
        parser.add_argument("--representative", default=None,
                            help="litert --quantize int8: a folder or zip of images to calibrate on (default: the "
                                 "package's embedded cartoon faces, 200 of them).")

    def run(self, args):
        chosen = chosen_formats(args)
        from keras_animegan.export import export_model
        from keras_animegan.inference import Generator

        model = Generator(args.model, preset=args.preset, trust=args.trust_model).model
        source = args.model or args.preset
        name = args.name or os.path.splitext(os.path.basename(source.rstrip("/")))[0]
        networks = None
        if args.upscaler is not None:
            networks = {name: upscaled(model, args.upscaler)}
            source = f"{source} + {args.upscaler}"
        # Every format gets every option and takes the ones it knows (`export(..., **unused)`).
        options = dict(version=args.version, quantize=args.quantize, size=args.size,
                       representative=args.representative, source=source)
        for format in chosen:
            try:
                paths = export_model(model, format, args.export_dir, name, networks=networks, **options)
            except (ImportError, ValueError) as error:
                raise UserError(f"--format {format}: {error}") from None
            for path in paths.values():
                print(f"{formats()[format].label + ':':<11} {path}{_size_note(path)}")
        return 0


def upscaled(model, spec):
    """`--upscaler`: the model's generator followed by the upscaler of `spec` (a preset or `.keras` file)."""
    from keras_animegan.inference import Generator
    from keras_animegan.models import upscaled_generator

    if model.input_kind not in ("noise", "tags"):
        raise UserError("--upscaler goes with a generator that draws from noise or tags (a translator's output "
                        "keeps its input's size).")
    try:
        upscaler = (Generator(spec) if spec.endswith(".keras") else Generator(preset=spec)).model
    except UserError as error:
        raise UserError(f"--upscaler: {str(error).removeprefix('--preset: ')}") from None
    if upscaler.input_kind != "upscale":
        raise UserError(f"--upscaler {spec!r} is not an upscaler (it takes {upscaler.input_kind}).")
    return upscaled_generator(model.inference_generator(), upscaler)


def _size_note(path):
    return f" ({os.path.getsize(path) / 1e6:.2f} MB)" if os.path.isfile(path) else ""


def chosen_formats(args):
    """The formats asked for (`--format`, or the older `--onnx` / `--litert`), checked against the other flags."""
    if (args.model is None) == (args.preset is None):
        raise UserError("Give MODEL (a .keras file saved by a trainer) or --preset NAME, not both or neither.")
    if args.model is not None and not args.model.endswith(".keras"):
        raise UserError(f"MODEL {args.model!r}: `export` takes a .keras file saved by a trainer.")
    formats = list(args.format or [])
    if args.onnx:
        formats += [f for f in ("saved_model", "onnx") if f not in formats]
    if args.litert and "litert" not in formats:
        formats.append("litert")
    formats = formats or ["saved_model"]
    if "litert" not in formats and (args.quantize != "none" or args.size or args.representative):
        raise UserError("--quantize, --size and --representative go with --format litert (or --litert).")
    return list(dict.fromkeys(formats))

"""The `keras-animegan` command: generate avatars, translate photos / folders / videos, export models.

    keras-animegan generate runs/dcgan/export/dcgan --num 64 --output avatars.png
    keras-animegan generate runs/dcgan/dcgan.keras --num 500 --output avatars/
    keras-animegan translate runs/cyclegan/export/cyclegan_ab photo.jpg --output anime.png
    keras-animegan translate runs/cartoongan/cartoongan.keras photos/ --output cartoons/ --crop_faces
    keras-animegan translate runs/cyclegan/cyclegan.keras clip.mp4 --output clip_anime.mp4
    keras-animegan export runs/cyclegan/cyclegan.keras --export_dir exports
    keras-animegan demo                      # the presets in the browser (the demo extra)
    keras-animegan train dcgan --image_dir my_avatars/ --epochs 10
    keras-animegan serve --model_base_path runs/dcgan/export/dcgan

A MODEL is a SavedModel written by `keras_animegan.export` (a version folder,
or a model folder holding version folders: the highest is used) or a `.keras`
file saved by a trainer. Also runs as `python -m keras_animegan.cli`.
"""

import argparse
import math
import os
import stat
import sys

import numpy as np

from keras_animegan.inference import Generator
from keras_animegan.inference import UserError
from keras_animegan.utils.decoding import IMAGE_EXTENSIONS
from keras_animegan.utils.decoding import decode_image
from keras_animegan.utils.decoding import is_image_name
from keras_animegan.utils.image_size import DEFAULT_MAX_PIXELS
from keras_animegan.utils.pixels import to_uint8

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")


#: A user error: printed as `error: ...`, exit status 2 (the model loader's errors are the same class).
CLIError = UserError


def _progress(iterable=None, total=None, desc=None, unit="img"):
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=None)  # None: off when not a terminal


def _save(image, path):
    from PIL import Image

    os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
    Image.fromarray(image).save(path)


# ----------------------------------------------------------------------- generate
def generate(args):
    model = Generator(args.model, preset=args.preset)
    if model.kind != "noise":
        raise CLIError(f"MODEL {model.path!r} translates images; use `keras-animegan translate`.")
    if args.num < 1:
        raise CLIError(f"--num must be a positive integer; got {args.num}.")
    noise = model.noise(args.seed, args.num)
    images = []
    with _progress(total=args.num, desc="generate") as bar:
        for start in range(0, args.num, args.batch_size):
            images.append(np.asarray(to_uint8(model(noise[start:start + args.batch_size]))))
            bar.update(len(images[-1]))
    images = np.concatenate(images)
    if args.output.lower().endswith(IMAGE_EXTENSIONS):
        from keras_animegan.visualization import make_grid

        ncols = args.columns or math.ceil(math.sqrt(args.num))
        _save(make_grid(images, ncols), args.output)
        print(f"Wrote a grid of {args.num} images to {args.output}.")
    else:
        os.makedirs(args.output, exist_ok=True)
        for i, image in enumerate(images):
            _save(image, os.path.join(args.output, f"{args.prefix}_{i:05d}.png"))
        print(f"Wrote {args.num} images to {args.output}/.")
    return 0


# ---------------------------------------------------------------------- translate
def _read_image(path, max_pixels=DEFAULT_MAX_PIXELS):
    """A file as uint8 RGB; ValueError naming it when it is not a regular file, not an image, or too large.

    The size is read from the headers before decoding (see `check_image_size`). A FIFO, socket or
    device named like an image is refused, not read (reading a FIFO blocks until someone writes).
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        raise ValueError(f"cannot read it ({error.strerror})") from None
    if not stat.S_ISREG(mode):
        raise ValueError("not a regular file (a FIFO, socket or device)")
    with open(path, "rb") as f:
        return decode_image(f.read(), max_pixels=max_pixels, name=path)


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
            raise CLIError(f"--crop_faces needs the landmarks module's dependencies ({error}).") from None
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


def resize_longer_side(image, size):
    """`--size`: a uint8 image resized so that its longer side is `size` px (aspect kept; None: unchanged)."""
    import cv2

    height, width = image.shape[:2]
    if size is None or max(height, width) == size:
        return image
    scale = size / max(height, width)
    shape = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, shape, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def _translate_image(model, image, crop, size=None):
    if crop is not None:
        image = crop(image)
    return model.translate_image(resize_longer_side(image, size))


def _output_name(relative):
    return os.path.splitext(relative)[0] + ".png"


def output_names(names):
    """`{input name: output .png name}` for a folder, one output per input.

    `dup.jpg` and `dup.png` would both write `dup.png`: when inputs share a
    stem (case-insensitively, as some file systems compare names), each of
    them keeps its extension (`dup.jpg.png`, `dup.png.png`), so no output is
    written over another.
    """
    plain = {name: _output_name(name) for name in names}
    counts = {}
    for out in plain.values():
        counts[out.lower()] = counts.get(out.lower(), 0) + 1
    outputs, taken = {}, set()
    for name in names:
        out = plain[name] if counts[plain[name].lower()] == 1 else name + ".png"
        stem, n = out[:-4], 1
        while out.lower() in taken:  # `a.jpg.png` as an input too: number what is left
            n += 1
            out = f"{stem}-{n}.png"
        taken.add(out.lower())
        outputs[name] = out
    return outputs


def translate(args):
    if args.preset is not None and args.input is None:  # `translate --preset NAME face.png`: one positional
        args.model, args.input = None, args.model
    if args.input is None:
        raise CLIError("INPUT is missing: `keras-animegan translate MODEL INPUT` or `translate --preset NAME INPUT`.")
    model = Generator(args.model, direction=args.direction, preset=args.preset)
    if model.kind != "image":
        raise CLIError(f"MODEL {model.path!r} generates from noise; use `keras-animegan generate`.")
    source = args.input
    crop = FaceCropper(args.crop_size) if args.crop_faces else None
    if not os.path.exists(source):
        raise CLIError(f"INPUT {source!r}: no such file or folder.")
    if os.path.isdir(source):
        return _translate_folder(model, source, args.output, crop, args.size, args.max_pixels)
    if source.lower().endswith(VIDEO_EXTENSIONS):
        return _translate_video(model, source, args.output, crop, args.size)
    if not is_image_name(source):
        raise CLIError(f"INPUT {source!r} is not an image ({', '.join(IMAGE_EXTENSIONS)}), a video "
                       f"({', '.join(VIDEO_EXTENSIONS)}) or a folder.")
    try:
        image = _read_image(source, args.max_pixels)
    except Exception as error:  # noqa: BLE001 - Pillow raises several kinds for a bad file
        raise CLIError(f"INPUT {source!r} is not a readable image: {error}") from None
    output = args.output
    if os.path.isdir(output) or not output.lower().endswith(IMAGE_EXTENSIONS):
        output = os.path.join(output, _output_name(os.path.basename(source)))
    _save(_translate_image(model, image, crop, args.size), output)
    print(f"Wrote {output}{crop.report() if crop else ''}.")
    return 0


def _translate_folder(model, source, output, crop, size=None, max_pixels=DEFAULT_MAX_PIXELS):
    names = sorted(
        os.path.relpath(os.path.join(root, f), source)
        for root, _, files in os.walk(source) for f in files if is_image_name(f)
    )
    if not names:
        raise CLIError(f"INPUT {source!r} holds no images ({', '.join(IMAGE_EXTENSIONS)}).")
    outputs = output_names(names)
    skipped, written = [], 0
    for name in _progress(names, desc="translate"):
        path = os.path.join(source, name)
        try:
            image = _read_image(path, max_pixels)
        except Exception as error:  # noqa: BLE001 - a bad file is skipped and named; the others go on
            print(f"warning: skipping {path}: {error}", file=sys.stderr)
            skipped.append(name)
            continue
        _save(_translate_image(model, image, crop, size), os.path.join(output, outputs[name]))
        written += 1
    renamed = sum(outputs[n] != _output_name(n) for n in names if n not in skipped)
    print(f"Wrote {written} images to {output}/; skipped {len(skipped)} unreadable or too large file(s)"
          + (f"; {renamed} named after their full input name (inputs that share a name)" if renamed else "")
          + f"{crop.report() if crop else ''}.")
    return 0


def _translate_video(model, source, output, crop, longer_side=None):
    import cv2

    capture = cv2.VideoCapture(source)
    if not capture.isOpened():
        raise CLIError(f"INPUT {source!r}: OpenCV cannot open this video.")
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    if os.path.isdir(output) or not output.lower().endswith(VIDEO_EXTENSIONS):
        output = os.path.join(output, os.path.splitext(os.path.basename(source))[0] + ".mp4")
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    writer, frames = None, 0
    try:
        with _progress(total=total, desc="translate", unit="frame") as bar:
            while True:
                ok, frame = capture.read()
                if not ok:
                    break
                rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
                if crop is not None and crop.size is None and writer is None:
                    # A video has one frame size: the first face crop's side, kept for every frame
                    # (OpenCV's writer silently drops frames of any other size).
                    crop.size = crop(rgb).shape[0]
                    crop.no_face = 0
                out = _translate_image(model, rgb, crop, longer_side)
                if writer is None:
                    fourcc = cv2.VideoWriter_fourcc(*("mp4v" if output.lower().endswith((".mp4", ".m4v", ".mov"))
                                                      else "MJPG"))
                    size = (out.shape[1], out.shape[0])
                    writer = cv2.VideoWriter(output, fourcc, fps, size)
                    if not writer.isOpened():
                        raise CLIError(f"--output {output!r}: OpenCV cannot write this video format.")
                if (out.shape[1], out.shape[0]) != size:
                    out = cv2.resize(out, size, interpolation=cv2.INTER_AREA)
                writer.write(cv2.cvtColor(out, cv2.COLOR_RGB2BGR))
                frames += 1
                bar.update(1)
    finally:
        capture.release()
        if writer is not None:
            writer.release()
    if not frames:
        raise CLIError(f"INPUT {source!r}: no frames could be read.")
    written = _count_frames(output)
    if written != frames:
        raise CLIError(f"--output {output!r}: OpenCV wrote {written} of {frames} frames.")
    print(f"Wrote {written} frames ({size[0]}x{size[1]}) to {output}{crop.report('frame(s)') if crop else ''}.")
    return 0


def _count_frames(path):
    """Frames in a written video, counted by reading it back (the container's count can be an estimate)."""
    import cv2

    capture = cv2.VideoCapture(path)
    count = 0
    try:
        while capture.grab():
            count += 1
    finally:
        capture.release()
    return count


# ------------------------------------------------------------------------- export
def export(args):
    from keras_animegan.export import export_generator

    if (args.model is None) == (args.preset is None):
        raise CLIError("Give MODEL (a .keras file saved by a trainer) or --preset NAME, not both or neither.")
    if args.model is not None and not args.model.endswith(".keras"):
        raise CLIError(f"MODEL {args.model!r}: `export` takes a .keras file saved by a trainer.")
    if not args.litert and (args.quantize != "none" or args.size or args.representative):
        raise CLIError("--quantize, --size and --representative go with --litert.")
    model = Generator(args.model, preset=args.preset).model
    source = args.model or args.preset
    name = args.name or os.path.splitext(os.path.basename(source.rstrip("/")))[0]
    if hasattr(model, "generator_ba"):
        targets = [(f"{name}_{d}", model.inference_network(f"generator_{d}")) for d in ("ab", "ba")]
    else:
        targets = [(name, model.inference_network())]
    if args.litert:
        return _export_litert(targets, args, source)
    for target, network in targets:
        path = export_generator(model, args.export_dir, target, version=args.version, network=network)
        print(f"SavedModel: {path}")
        if args.onnx:
            print(f"ONNX:       {_to_onnx(network, os.path.join(args.export_dir, f'{target}.onnx'))}")
    return 0


def _export_litert(targets, args, source):
    from keras_animegan import litert

    for target, network in targets:
        noise = len(network.input_shape) == 2
        if noise:
            sizes = [None]
        elif args.size:
            sizes = [args.size]
        elif network.input_shape[1] is None:
            sizes = [256, 512]  # the fully convolutional photo translator: a phone's two usual sizes
        else:
            sizes = [int(network.input_shape[1])]
        for size in sizes:
            representative, calibration = None, None
            if args.quantize == "int8":
                if noise:
                    calibration = "200 standard normal noise vectors (seed 0)"
                else:
                    try:
                        representative, calibration = litert.representative_images(args.representative, size)
                    except ValueError as error:
                        raise CLIError(str(error)) from None
            suffix = ("" if size is None or len(sizes) == 1 else f"_{size}") + (
                "" if args.quantize == "none" else f"_{args.quantize}")
            path = os.path.join(args.export_dir, f"{target}{suffix}.tflite")
            card = {"source": source, "network": target, "calibration": calibration}
            try:
                litert.export_litert(network, path, size=size, quantize=args.quantize,
                                     representative=representative, card=card)
            except ValueError as error:
                raise CLIError(f"--litert: {error}") from None
            print(f"LiteRT: {path} ({os.path.getsize(path) / 1e6:.2f} MB, {args.quantize})")
    return 0


def _to_onnx(network, output):
    """The generator network (at its own input size) as ONNX; input `inputs`, output the images in [-1, 1]."""
    try:
        import tensorflow as tf
        import tf2onnx
    except ImportError:
        raise CLIError("--onnx needs tf2onnx: pip install 'keras-animegan[onnx]' (from a clone: pip install '.[onnx]').") from None
    spec = [tf.TensorSpec((None,) + tuple(network.input_shape[1:]), tf.float32, name="inputs")]
    # A plain tensor output: tf2onnx 1.17 fails ("graph input ... not exist") when an output
    # dict key equals an input name.
    function = tf.function(lambda inputs: tf.cast(network(inputs, training=False), tf.float32))
    try:
        tf2onnx.convert.from_function(function, input_signature=spec, output_path=output)
    except Exception as error:  # noqa: BLE001 - the converter fails in many ways; name the model
        raise CLIError(f"tf2onnx could not convert {network.name!r}: {error}") from None
    return output


# --------------------------------------------------------------------------- demo
def demo(args):
    from keras_animegan import demo as demo_module

    try:
        return demo_module.run(args)
    except demo_module.DemoError as error:
        raise CLIError(str(error)) from None


# --------------------------------------------------------------------------- main
def _positive_int(flag):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(f"{flag} must be a positive integer; got {text!r}")
        return value

    return parse


#: `keras-animegan train MODEL`: the trainer modules (each has `main(argv)` with its own flags).
TRAINERS = {"dcgan": "keras_animegan.train.dcgan", "cyclegan": "keras_animegan.train.cyclegan",
            "cartoongan": "keras_animegan.train.cartoongan"}


def train(argv):
    """`keras-animegan train dcgan|cyclegan|cartoongan [flags]`: the trainer's own command line."""
    import importlib

    if not argv or argv[0] in ("-h", "--help"):
        print("usage: keras-animegan train {dcgan,cyclegan,cartoongan} [flags]\n\n"
              "Trains a model; rerunning the same command resumes. `keras-animegan train dcgan --help` lists "
              "the flags.\n\n  dcgan       avatars from noise\n  cyclegan    unpaired image-to-image (A <-> B)\n"
              "  cartoongan  photo -> cartoon (edge-promoting adversarial loss)")
        return 0 if argv else 2
    if argv[0] not in TRAINERS:
        print(f"error: keras-animegan train: unknown model {argv[0]!r}; choose from {', '.join(TRAINERS)}.",
              file=sys.stderr)
        return 2
    return importlib.import_module(TRAINERS[argv[0]]).main(argv[1:])


def serve(argv):
    """`keras-animegan serve [flags]`: TF Serving's REST API over exported models."""
    from keras_animegan import serve as serve_module

    return serve_module.main(argv, prog="keras-animegan serve")


#: Commands with their own parser: `main` hands them the rest of the command line.
OWN_PARSERS = {"train": train, "serve": serve}


def build_parser():
    parser = argparse.ArgumentParser(prog="keras-animegan", description=__doc__.split("\n")[0],
                                     epilog="TensorFlow's own log lines are hidden unless you set "
                                            "TF_CPP_MIN_LOG_LEVEL (0 shows them all).")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("train", add_help=False, help="Train DCGAN, CycleGAN or CartoonGAN on your images "
                                                      "(`keras-animegan train dcgan --help`).")
    commands.add_parser("serve", add_help=False, help="TF Serving's REST API over exported models "
                                                      "(`keras-animegan serve --help`).")

    p = commands.add_parser("generate", help="N avatars from a DCGAN export or .keras to a folder or one grid PNG.")
    p.add_argument("model", nargs="?", help="DCGAN SavedModel folder or .keras file (or use --preset).")
    p.add_argument("--preset", default=None, help="A shipped preset name (keras_animegan.list_presets()) or a "
                                                  "preset folder, instead of MODEL.")
    p.add_argument("--num", type=int, default=64, help="Number of images.")
    p.add_argument("--output", required=True, help="A folder (one PNG per image) or a .png/.jpg path (one grid).")
    p.add_argument("--seed", type=int, default=0, help="Noise seed (same seed, same images).")
    p.add_argument("--columns", type=int, default=None, help="Grid columns (default: square).")
    p.add_argument("--batch_size", type=int, default=64)
    p.add_argument("--prefix", default="avatar", help="File name prefix in a folder.")
    p.set_defaults(run=generate)

    p = commands.add_parser("translate", help="An image, a folder or a video through a CycleGAN/CartoonGAN model.")
    p.add_argument("model", nargs="?", help="Translator SavedModel folder or .keras file (or use --preset).")
    p.add_argument("input", nargs="?", help="Image file, folder of images (recursive) or video file.")
    p.add_argument("--preset", default=None, help="A shipped preset name (keras_animegan.list_presets()) or a "
                                                  "preset folder, instead of MODEL.")
    p.add_argument("--output", required=True, help="Output file (image/video) or folder.")
    p.add_argument("--direction", default="ab", choices=["ab", "ba"], help="CycleGAN .keras: A->B or B->A.")
    p.add_argument("--crop_faces", action="store_true", help="Crop each image to its face first (MediaPipe mesh).")
    p.add_argument("--crop_size", type=int, default=None, help="Side of the face crop (default: the crop's own).")
    p.add_argument("--max_pixels", type=_positive_int("--max_pixels"), default=DEFAULT_MAX_PIXELS,
                   help="Largest image to read, in pixels (from its header, before decoding); larger files are "
                        f"skipped. Default: {DEFAULT_MAX_PIXELS:,} (4096x4096).")
    p.add_argument("--size", type=_positive_int("--size"), default=None,
                   help="Resize each image (after any face crop) so its longer side is SIZE px before translating; "
                        "the output has that size. Default: the input's own size.")
    p.set_defaults(run=translate)

    p = commands.add_parser("export", help="A .keras model or a preset to TF Serving's layout (optionally ONNX "
                                           "too), or to LiteRT files (--litert).")
    p.add_argument("model", nargs="?", help=".keras file saved by a trainer (or use --preset).")
    p.add_argument("--preset", default=None, help="A shipped preset name or a preset folder.")
    p.add_argument("--export_dir", required=True, help="Base directory: writes <export_dir>/<name>/<version>/.")
    p.add_argument("--name", default=None, help="Model name (default: the file's name; CycleGAN adds _ab/_ba).")
    p.add_argument("--version", type=int, default=1)
    p.add_argument("--onnx", action="store_true", help="Also write <export_dir>/<name>.onnx (needs the onnx extra).")
    p.add_argument("--litert", action="store_true",
                   help="Write LiteRT files instead: <export_dir>/<name>[_<size>][_<quantize>].tflite, each with a "
                        ".json model card (uint8 in/out signature 'serving_default', float one 'float').")
    p.add_argument("--quantize", default="none", choices=["none", "fp16", "int8"], help="--litert: weights in "
                   "float32, float16, or int8 (weights and activations, calibrated on --representative).")
    p.add_argument("--size", type=_positive_int("--size"), default=None,
                   help="--litert: a translator's image side (default: its training size; the photo translator: "
                        "256 and 512).")
    p.add_argument("--representative", default=None,
                   help="--litert --quantize int8: a folder or zip of images to calibrate on (default: the "
                        "package's embedded cartoon faces, 200 of them).")
    p.set_defaults(run=export)

    from keras_animegan import demo as demo_module  # numpy only: Gradio is imported when the demo runs

    p = commands.add_parser("demo", help="The models in the browser: generate, interpolate, translate "
                                         "(Gradio: the demo extra, pip install \".[demo]\" from a clone).")
    demo_module.build_parser(p)
    p.set_defaults(run=demo)
    return parser


def main(argv=None):
    """The `keras-animegan` command; returns its exit status (2: a user error, named on stderr)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in OWN_PARSERS:
        return OWN_PARSERS[argv[0]](argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CLIError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""`keras-animegan translate --preset photo2avatar_64`: photos to their people's avatars (a pipeline preset)."""

import os
import sys

from keras_animegan.commands import UserError
from keras_animegan.commands._output import folder_name
from keras_animegan.commands._output import progress
from keras_animegan.commands._output import save
from keras_animegan.utils.decoding import IMAGE_EXTENSIONS
from keras_animegan.utils.decoding import is_image_name
from keras_animegan.utils.decoding import read_image_file

#: Flags of `translate` that a photo-to-avatar pipeline does not take.
IMAGE_ONLY_FLAGS = {"direction": "--direction", "crop_faces": "--crop_faces", "crop_size": "--crop_size"}


def check_flags(args):
    """`--show_tags`, `--tags` and `--seed` are a pipeline's; `--direction` and `--crop_*` a translator's."""
    from keras_animegan.photo2avatar.pipeline import is_pipeline_preset

    pipeline = is_pipeline_preset(args.preset)
    if pipeline:
        for attribute, flag in IMAGE_ONLY_FLAGS.items():
            if getattr(args, attribute) not in (None, False):
                raise UserError(f"{flag} is for image translators; --preset {args.preset} reads the face itself.")
    else:
        for attribute, flag in (("show_tags", "--show_tags"), ("tags", "--tags"), ("seed", "--seed"),
                                ("upscaler", "--upscaler")):
            if getattr(args, attribute) not in (None, False):
                raise UserError(f"{flag} is for photo-to-avatar presets (such as photo2avatar_64); MODEL "
                                f"{args.preset or args.model!r} is an image translator.")
    return pipeline


def run(args, source):
    from keras_animegan.photo2avatar import Photo2Avatar

    try:
        pipeline = Photo2Avatar.from_preset(args.preset)
    except ValueError as error:
        raise UserError(f"--preset: {error}") from None
    if args.tags:
        try:
            pipeline.merge_tags([], args.tags)
        except ValueError as error:
            raise UserError(f"--tags: {error}") from None
    if not os.path.exists(source):
        raise UserError(f"INPUT {source!r}: no such file or folder.")
    if os.path.isdir(source):
        return _folder(pipeline, source, args)
    if not is_image_name(source):
        raise UserError(f"INPUT {source!r} is not an image ({', '.join(IMAGE_EXTENSIONS)}) or a folder of images "
                        "(a photo-to-avatar preset reads photos, not videos).")
    try:
        image = read_image_file(source, args.max_pixels)
    except Exception as error:  # noqa: BLE001 - Pillow raises several kinds for a bad file
        raise UserError(f"INPUT {source!r} is not a readable image: {error}") from None
    from keras_animegan.commands._folders import output_file

    output = output_file(source, args.output)
    written = _one(pipeline, image, source, output, args)
    if not written:
        raise UserError(f"INPUT {source!r}: no face found (the face should be upright and at least about 64 pixels "
                        "wide); nothing written.")
    print(f"Wrote {output}.")
    return 0


def _one(pipeline, image, name, output, args):
    """Reads, draws and writes one photo's avatar; False when the photo has no face."""
    from keras_animegan.photo2avatar.pipeline import NoFaceError

    try:
        reading = pipeline.read(image)
    except NoFaceError:
        return False
    avatar, tags, smile = pipeline.render(reading, args.seed, args.tags)
    if args.size:
        avatar = _resizer(args).resize(avatar, args.size)
    save(avatar, output)
    if args.show_tags:
        expression = {True: ["smile"], False: ["no_smile"]}.get(smile, [])
        read = "" if smile is not None else " (smiling)" if reading.smile else " (not smiling)"
        left_out = [t for t in reading.left_out if t not in tags]
        if left_out:
            read += f" (read, not drawn: {', '.join(left_out)}; add them with --tags)"
        print(f"{name}: {', '.join(tags + expression)}{read}")
    return True


def _resizer(args):
    """The `--upscaler` that grows avatars to `--size` (one per command run)."""
    if getattr(args, "_resizer", None) is None:
        from keras_animegan.inference import Resizer

        args._resizer = Resizer(args.upscaler, trust=args.trust_model)
    return args._resizer


def _folder(pipeline, source, args):
    from keras_animegan.commands._folders import image_names
    from keras_animegan.commands._folders import output_names

    names = image_names(source)
    outputs = output_names(names)
    unreadable, no_face, written = [], [], 0
    for name in progress(names, desc="photo2avatar"):
        path = os.path.join(source, name)
        try:
            image = read_image_file(path, args.max_pixels)
        except Exception as error:  # noqa: BLE001 - a bad file is skipped and named; the others go on
            print(f"warning: skipping {path}: {error}", file=sys.stderr)
            unreadable.append(name)
            continue
        if _one(pipeline, image, name, os.path.join(args.output, outputs[name]), args):
            written += 1
        else:
            print(f"warning: skipping {path}: no face found", file=sys.stderr)
            no_face.append(name)
    print(f"Wrote {written} avatars to {folder_name(args.output)}; skipped {len(no_face)} photo(s) without a face "
          f"and {len(unreadable)} unreadable or too large file(s).")
    return 0

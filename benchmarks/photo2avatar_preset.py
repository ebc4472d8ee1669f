"""Writes the `photo2avatar_64` pipeline preset's metadata, model card and sample from the measured results.

    python -m benchmarks.photo2avatar            # measures (benchmarks/results/photo2avatar.json)
    python -m benchmarks.photo2avatar_preset     # then writes the preset's files from it

The preset's `config.json` (the generator's name and the reader settings) is the source; this script
only describes it, and draws the README's first picture (`docs/images/photo2avatar_readme.png`). The sample is the package's example photo (NASA's public-domain portrait of
Eileen Collins) beside its avatar, three other seeds of the same tags, and the same seed with tags
put over the read ones.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NAME = "photo2avatar_64"


def sample_strip(pipeline, photo, size=192):
    from PIL import Image
    from PIL import ImageDraw

    reading = pipeline.read(photo)
    avatars = [pipeline.render(reading)[0]]
    avatars += [pipeline.render(reading, seed)[0] for seed in (1, 2, 3)]
    avatars.append(pipeline.render(reading, tags=["blue_hair", "glasses"])[0])
    labels = ["photo", "its avatar", "seed 1", "seed 2", "seed 3", "+ blue_hair, glasses"]
    sheet = Image.new("RGB", (6 * size, size + 22), "white")
    draw = ImageDraw.Draw(sheet)
    sheet.paste(Image.fromarray(photo).resize((size, size), Image.LANCZOS), (0, 0))
    for k, avatar in enumerate(avatars, start=1):
        sheet.paste(Image.fromarray(avatar).resize((size, size), Image.NEAREST), (k * size, 0))
    for k, label in enumerate(labels):
        draw.text((k * size + 4, size + 5), label, fill="black")
    return sheet, reading


def readme_image(pipeline, photo, path, size=192):
    """The README's first picture: a photo, its avatar (this preset) and its cartoon (`cartoongan_photo2anime`)."""
    from PIL import Image
    from PIL import ImageDraw

    from keras_animegan.inference import Generator

    avatar, tags = pipeline(photo)
    square = Image.fromarray(photo).resize((size, size), Image.LANCZOS)
    cartoon = Generator(preset="cartoongan_photo2anime").translate_image(np.asarray(square))
    sheet = Image.new("RGB", (3 * size, size + 22), "white")
    sheet.paste(square, (0, 0))
    sheet.paste(Image.fromarray(avatar).resize((size, size), Image.LANCZOS), (size, 0))
    sheet.paste(Image.fromarray(cartoon), (2 * size, 0))
    draw = ImageDraw.Draw(sheet)
    for k, label in enumerate(["photo (NASA)", "photo2avatar_64", "cartoongan_photo2anime"]):
        draw.text((k * size + 4, size + 5), label, fill="black")
    sheet.save(path)


def card(metadata, results, reading):
    c, a, r = results["colour"], results["agreement"], results["readers"]
    return f"""# {NAME}

{metadata["description"]}

## What it is

A pipeline preset: no weights of its own. The face mesh (MediaPipe, shipped in the package) places
regions on the face; plain image readers measure skin and hair colour, hair length, glasses, facial
hair and smile there; a lighting calibration turns the measurements into tags; the tag-conditioned
generator `{metadata["generator"]}` draws the avatar (its model card gives its data, licences and
training). Every avatar in this style has the same head, so a person is told apart by these
attributes, as in avatar makers.

- Data and licences: those of `{metadata["generator"]}`: 10,000 DiceBear 'adventurer' avatars,
  CC BY 4.0, artwork by Lisa Wischofsky, via DiceBear. No photo was used to fit anything: the readers'
  regions and thresholds are set in face widths and CIELAB units, and the colour calibration is a
  lighting model (`keras_animegan/photo2avatar/calibration.py`).
- Reader settings: `{json.dumps(metadata["reader_settings"])}`.
- The same photo gives the same avatar (a seed from its pixels); `seed=` gives variants.
- The check: `avatar_reader.npz` reads a drawn avatar's smile, shaved head and glasses (clear or
  dark), trained on the training avatars' parts (`benchmarks/avatar_reader.py`). The pipeline keeps
  the first of {metadata["candidates"]} seeds whose avatar has hair, glasses exactly when asked (clear unless the
  photo's lenses are dark) and the expression asked for; `match_smile` (here {str(metadata["match_smile"]).lower()}) asks for the
  photo's own. A mustache read off a photo is left out (the generator smudges it) unless asked for.
- The sample: the package's example photo (NASA, public domain) read as
  `{", ".join(reading.tags)}`, its avatar, three other seeds, and blue hair and glasses put over it.

## Measured (`benchmarks/photo2avatar.py`, {results["photos"]} photo-like dev faces, not shipped)

Measured as the preset ships, with the check (`python -m benchmarks.photo2avatar --json
benchmarks/results/photo2avatar_checked.json`); what the check changes is measured by
`benchmarks/photo2avatar_check.py`.

- Skin lightness r {c["skin_r"]:.3f}, hair lightness r {c["hair_r"]:.3f} (photo region vs avatar);
  own photo among the 5 nearest by (skin, hair) {c["top5"]:.3f} (chance {c["top5_chance"]:.3f}).
- Skin readable in {results["readable"]["skin"]:.3f} and hair colour in
  {results["readable"]["hair_color"]:.3f} of the avatars (the avatar tag reader).
- Glasses agreement (balanced accuracy, hand labels vs the avatar) {a["glasses"]:.3f}; long hair
  {a["long_hair"]:.3f}.
- KID {results["kid"][0]:.4f} ± {results["kid"][1]:.4f} against the held-out avatars.
- Readers against hand labels (ROC AUC / balanced accuracy at the threshold): glasses
  {r["glasses"]["auc"]:.3f} / {r["glasses"]["balanced_accuracy"]:.3f}, long hair {r["long_hair"]["auc"]:.3f} /
  {r["long_hair"]["balanced_accuracy"]:.3f}, facial hair {r["facial_hair"]["auc"]:.3f} /
  {r["facial_hair"]["balanced_accuracy"]:.3f} (a conservative threshold: a mustache is drawn only for
  a clear beard), smile {r["smile"]["auc"]:.3f} / {r["smile"]["balanced_accuracy"]:.3f}.
- {results["seconds_per_photo"]["median"] * 1000:.0f} ms per photo (median) on {results["machine"]}.

## Limits

- The avatar set's colours are flat and few: skin is one of four tones and hair one of the natural
  colours of the palette (black, browns, blonde, grey, auburn, red); blue, green, pink and purple
  hair are never read off a photo (ask for them with tags).
- Photos are lit: a very dark or very bright photo shifts skin and hair one step darker or lighter.
- Hats and headscarves are read as hair; a photo needs a frontal face about 64 px wide or more.
"""


def main(argv=None):
    import keras_animegan  # noqa: F401  (before TensorFlow: oneDNN)
    from keras_animegan import presets
    from keras_animegan.data.embedded import demo_photos
    from keras_animegan.photo2avatar import Photo2Avatar
    from keras_animegan.utils.decoding import read_image_file
    from keras_animegan.utils import safe_files

    with open(os.path.join(HERE, "results", "photo2avatar_checked.json")) as f:  # the preset as it ships: checked
        results = json.load(f)
    pipeline = Photo2Avatar.from_preset(NAME)
    folder = presets.preset_folder(NAME)
    photo = read_image_file(demo_photos()[0])
    sheet, reading = sample_strip(pipeline, photo)
    sheet.save(os.path.join(folder, "sample.png"))
    metadata = {
        "name": NAME,
        "description": "Photo2Avatar: a face photo -> that person's 64x64 anime avatar (skin, hair colour and "
                       "length, glasses and facial hair read off the face mesh, drawn by dcgan_tagged_avatars_64).",
        "class_name": "Photo2Avatar",
        "generator": pipeline.generator_preset,
        "reader_settings": pipeline.calibration.get_config(),
        "candidates": pipeline.candidates,
        "match_smile": pipeline.match_smile,
        "measured": {k: results[k] for k in ("colour", "readable", "agreement", "kid", "readers",
                                             "seconds_per_photo", "machine", "photos")},
        "command": "python -m benchmarks.photo2avatar --json benchmarks/results/photo2avatar_checked.json && "
                   "python -m benchmarks.photo2avatar_preset",
    }
    readme_image(pipeline, photo, os.path.join(os.path.dirname(HERE), "docs", "images", "photo2avatar_readme.png"))
    safe_files.write_json(os.path.join(folder, presets.METADATA_FILE), metadata, indent=2)
    safe_files.write_text(os.path.join(folder, presets.CARD_FILE), card(metadata, results, reading))
    print(f"wrote {folder}: metadata.json, model_card.md, sample.png (read: {', '.join(reading.tags)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

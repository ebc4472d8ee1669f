"""Writes the shipped `upscaler_avatars_x4` preset from a training run, and its numbers from the benchmark.

    # 1. the training set: the train split's avatars drawn at 256 px (DiceBear, about 2 minutes)
    python -m benchmarks.standin_data --avatars_at 256 --output avatars256/
    # 2. the training (about 50 minutes on 2 CPU cores; rerun to resume)
    keras-animegan train upscaler --image_dir avatars256/ --unpaired_preset dcgan_tagged_avatars_64 \\
        --model_dir runs/upscaler
    # 3. the preset, then its benchmark, then the benchmark's numbers into its metadata and model card
    python -m benchmarks.upscaler_preset --run runs/upscaler
    python -m benchmarks.upscale --peers --json benchmarks/results/upscale_2cpu.json
    python -m benchmarks.upscaler_preset --measured benchmarks/results/upscale_2cpu.json

The preset holds the EMA generator in float16 (the benchmark measures those weights).
"""

import argparse
import datetime
import json
import os
import sys

import numpy as np

NAME = "upscaler_avatars_x4"
COMMAND = ("python -m benchmarks.standin_data --avatars_at 256 --output avatars256/ && keras-animegan train upscaler "
           "--image_dir avatars256/ --unpaired_preset dcgan_tagged_avatars_64")
DATA = [
    "the 10,000 anime-like avatars of the train split (DiceBear 'adventurer' 9.4.3, seeds `adventurer-0..9999`), "
    "drawn at 256 px by `benchmarks/standin_data/render.mjs`; CC BY 4.0, artwork by Lisa Wischofsky, via DiceBear",
    "4,000 samples of the shipped `dcgan_tagged_avatars_64` (itself trained on the same 10,000 avatars), as "
    "inputs without originals for the unpaired term",
]


def preset_folder():
    from keras_animegan import presets

    return os.path.join(presets.BUILTIN_DIR, NAME)


def write_preset(run):
    """The run's `.keras` model as the preset, with its training record; returns the preset's folder."""
    import keras

    import keras_animegan.models  # noqa: F401 - registers the classes
    from keras_animegan import visualization
    from keras_animegan.utils.pixels import to_unit_range

    model = keras.saving.load_model(os.path.join(run, "upscaler.keras"), compile=False)
    with open(os.path.join(run, "config.json")) as f:
        config = json.load(f)
    losses = os.path.join(run, "losses.csv")
    steps = sum(1 for _ in open(losses)) - 1 if os.path.exists(losses) else None
    recipe = " ".join(f"{k}={config[k]}" for k in ("epochs", "init_epochs", "batch_size", "patch_size", "base_filters",
                                                   "num_convs", "learning_rate", "d_learning_rate", "gan_mode",
                                                   "adversarial_weight", "unpaired_weight", "consistency_weight",
                                                   "clean_share", "ema_decay") if k in config)
    from benchmarks import machine

    metadata = {
        "name": NAME,
        "description": "Upscaler: x4 super-resolution for anime avatars (64 px -> 256 px), made to clean up the "
                       "avatars the package's generators draw; trained on 10,000 DiceBear avatars drawn at 256 px.",
        "class_name": "Upscaler",
        "data": DATA,
        "recipe": recipe,
        "steps": steps,
        "train_minutes": _train_minutes(run),
        "machine": machine.describe(extra="fp32"),
        "command": COMMAND,
        "date": datetime.date.today().isoformat(),
    }
    folder = preset_folder()
    model.save_to_preset(folder, metadata=metadata, model_card=card(metadata))
    sample = _sample(model)
    visualization.save_png(visualization.make_grid(to_unit_range(sample), 4), os.path.join(folder, "sample.png"))
    return folder


def _train_minutes(run):
    """Minutes between the run's first and last log lines' files (config.json written at the start, the model
    at the end)."""
    start = os.path.getmtime(os.path.join(run, "config.json"))
    end = os.path.getmtime(os.path.join(run, "upscaler.keras"))
    return round((end - start) / 60, 1)


def _sample(model, count=4):
    """Pairs of (a 64 px avatar enlarged, ours): four drawn avatars of the package's embedded set (the upscaler
    trained on their 256 px drawings), then four of the tagged preset's samples; uint8 256 px."""
    from keras_animegan.data import embedded
    from keras_animegan.data import ImageSource
    from keras_animegan.models import GANModel
    from keras_animegan.utils.pixels import to_uint8

    generated = to_uint8(np.asarray(GANModel.from_preset("dcgan_tagged_avatars_64").sample(count, seed=7)))
    drawn = to_uint8(next(iter(ImageSource(embedded.anime_avatars_64()).dataset(64, 200, shuffle=False,
                                                                                  repeat=False)))[-count:].numpy())
    tiles = []
    for image in np.concatenate([drawn, generated]):
        tiles += [np.repeat(np.repeat(image, 4, axis=0), 4, axis=1), model.upscale(image)]
    return np.stack(tiles)


def measured_numbers(metadata):
    """The card's Quality section: the measured rows of `benchmarks/upscale.py`, or how to measure them."""
    measured = metadata.get("measured")
    if not measured:
        return "(not measured yet: `python -m benchmarks.upscaler_preset --measured RESULTS.json`)"
    rows = {row["method"]: row for row in measured["rows"]}
    ours, bicubic = rows["ours"], rows["bicubic"]
    best_peer = min((row for name, row in rows.items() if name not in ("ours", "bicubic")),
                    key=lambda row: row["tagged_samples_kid256"], default=None)
    return "\n".join([
        f"Measured with the shipped float16 weights on {measured['machine']} (`benchmarks/upscale.py`; KID256 is "
        f"the project's KID protocol on 256 px images, against the 256 px drawings of seeds 10000-10999):",
        "",
        f"- test pairs ({measured['pairs']} drawn at 64 and 256 px): KID256 {ours['test_kid256']:.4f}, PSNR "
        f"{ours['test_psnr']:.1f} dB, VGG distance {ours['test_vgg_distance']:.3f} (bicubic: "
        f"{bicubic['test_kid256']:.4f}, {bicubic['test_psnr']:.1f} dB, {bicubic['test_vgg_distance']:.3f});",
        f"- held-out seeds 12000-12499, in no data set of the project: KID256 {ours['held_out_kid256']:.4f}, "
        f"PSNR {ours['held_out_psnr']:.1f} dB;",
        f"- {measured['samples']:,} `dcgan_tagged_avatars_64` samples upscaled: KID {ours['tagged_samples_kid256']:.4f} (KID256; "
        f"bicubic {bicubic['tagged_samples_kid256']:.4f}"
        + (f", best peer {best_peer['method']} {best_peer['tagged_samples_kid256']:.4f}" if best_peer else "")
        + f"); {measured['samples']:,} `dcgan_avatars_64` samples, a generator it never trained on: {ours['dcgan_samples_kid256']:.4f};",
        f"- {ours['seconds_batch1']:.3f} s per 64 px avatar at batch 1, {ours['seconds_batch16']:.3f} s at batch "
        f"16; photo -> 256 px avatar (`Photo2Avatar(photo, size=256)`): {ours['photo_to_avatar_256_seconds']:.3f} s;"
        f" {ours['parameters']:,} parameters ({ours.get('weights_mb', 0):.2f} MB of float16 weights).",
    ])


def card(metadata):
    """The model card: what it is, the data and its licence, the training, the numbers, how to use it."""
    numbers = measured_numbers(metadata)
    return f"""# {NAME}

{metadata['description']}

## Data (training split only)

{chr(10).join('- ' + line for line in metadata['data'])}

The weights derive from the CC BY 4.0 avatars: credit Lisa Wischofsky (artwork), via DiceBear.

## Training

- Network: a compact all-convolutional x4 upscaler (3x3 convs with PReLU at 64 px, a sub-pixel convolution to
  256 px, added to the nearest-neighbour enlargement; after Real-ESRGAN's compact model), and a PatchGAN at
  256 px.
- Pairs: random 128 px crops of the 256 px drawings, each averaged down 4x; half of them first degraded
  mildly (blur, resize kernel, noise, JPEG; after Real-ESRGAN's degradations). A pixel-loss (Huber, as
  waifu2x) phase first, then the adversarial terms: on the pairs, and on the tagged generator's own samples
  upscaled (with their downscale kept close to the sample).
- Recipe: `{metadata['recipe']}`.
- Steps: {metadata['steps']:,}; {metadata['train_minutes']} minutes on {metadata['machine']}.
- Reproduce: `{metadata['command']}` (`python -m benchmarks.upscaler_preset` explains the steps).

## Quality

{numbers}

## Use

```python
import keras_animegan
upscaler = keras_animegan.Upscaler.from_preset("{NAME}")
big = upscaler.upscale(avatars)          # uint8 (n, 64, 64, 3) -> (n, 256, 256, 3); any size, in tiles
```

```bash
keras-animegan upscale avatar.png --output big.png
keras-animegan generate --preset dcgan_tagged_avatars_64 --num 16 --size 256 --output avatars/
```

It is made for flat-coloured anime drawings such as these avatars; photos are out of its scope.

![64 px input (enlarged) | upscaled: four drawn avatars of the training split, then four generated ones](sample.png)
"""


def add_measured(path):
    """The benchmark's numbers (a `benchmarks.upscale --json` file) into the preset's metadata and model card."""
    from keras_animegan import presets
    from keras_animegan.utils import safe_files

    with open(path) as f:
        measured = json.load(f)
    folder = preset_folder()
    metadata = presets.load_metadata(NAME)
    metadata["measured"] = measured
    ours = next(row for row in measured["rows"] if row["method"] == "ours")
    metadata["kid_float16"] = [ours["tagged_samples_kid256"], ours["tagged_samples_kid256_std"]]
    safe_files.write_json(os.path.join(folder, presets.METADATA_FILE), metadata, indent=2)
    safe_files.write_text(os.path.join(folder, presets.CARD_FILE), card(metadata))
    return folder


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", default=None, help="The training run folder (with upscaler.keras).")
    parser.add_argument("--measured", default=None, help="A benchmarks.upscale JSON file to record.")
    args = parser.parse_args(argv)
    if not args.run and not args.measured:
        parser.error("give --run and/or --measured")
    if args.run:
        print(f"Wrote {write_preset(args.run)}")
    if args.measured:
        print(f"Recorded {args.measured} in {add_measured(args.measured)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

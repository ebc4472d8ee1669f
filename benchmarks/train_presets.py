"""Train the shipped presets from the stand-in sets, score them in the KID protocol, write them into the package.

    python -m benchmarks.train_presets dcgan_avatars_64
    python -m benchmarks.train_presets cyclegan_faces2avatars_64 [--variant landmark --set landmark_weight=4]
    python -m benchmarks.train_presets cartoongan_faces2avatars_64
    python -m benchmarks.train_presets dcgan_avatars_64 --minutes 0.2 --output /tmp/p   # a smoke run

Each preset trains with the trainer's own code through `benchmarks.recipes` (the measured modern
recipe, the training splits `adventurer_00000..09999` and `facesjs_00000..04999` only; a killed run
resumes from its checkpoint), for `--minutes` of training (as steps at the idle-machine rate where
that rate is known). Then, on the held-out splits: KID in the protocol of `benchmarks/kid_protocol.py`
with float32 weights and again after the float16 round trip of the preset; for translators the
A -> B -> A reconstruction L1 on the 1,000 test faces, inside and outside the face-mesh feature
regions (eyes, brows, nose, mouth; the report's landmark loss is about those). The preset
(`keras_animegan/presets/<name>/` unless `--output`) gets config, float16 weights, metadata.json,
model_card.md and sample.png; the numbers also go to `benchmarks/results/presets/<name>[_<variant>].json`.
"""

import argparse
import datetime
import json
import os
import shutil
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks import kid_protocol  # noqa: E402
from benchmarks import recipes  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results", "presets")
MACHINE = "2 CPU cores (AVX-512 bf16), no GPU, TF 2.21, Keras 3.15, fp32"
AVATARS = ("10,000 anime-like avatars (DiceBear 'adventurer' 9.4.3, `adventurer_00000..09999`), CC BY 4.0, "
           "artwork by Lisa Wischofsky, via DiceBear")
FACES = ("5,000 western cartoon faces (facesjs 5.0.3, `facesjs_00000..04999`), Apache-2.0, facesjs by Jeremy "
         "Scheff; the stand-in for face photos")
# The modern recipe's measured settings (README "Training recipes and sample quality").
DCGAN_RECIPE = ["base_filters=32", "batch_size=32", "learning_rate=0.0005", "ema_decay=0.999",
                "augment=color,translation"]
TRANSLATOR_RECIPE = ["image_size=64", "base_filters=32", "batch_size=4", "ema_decay=0.999", "augment=color,translation"]

PRESETS = {
    "dcgan_avatars_64": dict(
        model="dcgan", sets=DCGAN_RECIPE, steps_per_minute=336.5, data=[AVATARS],
        description="DCGAN: 64x64 anime avatars from noise, trained on 10,000 DiceBear avatars."),
    "cyclegan_faces2avatars_64": dict(
        model="cyclegan", sets=TRANSLATOR_RECIPE + ["num_blocks=6"], steps_per_minute=112.5, data=[FACES, AVATARS],
        description="CycleGAN: cartoon faces <-> anime avatars at 64x64, both directions."),
    "cartoongan_faces2avatars_64": dict(
        model="cartoongan", sets=TRANSLATOR_RECIPE + ["cartoon_blocks=8", "vgg=vgg16", "init_epochs=1"],
        steps_per_minute=None, data=[FACES, AVATARS],
        description="CartoonGAN: cartoon faces -> anime avatars at 64x64 (VGG16 content and Gram style losses)."),
}


def feature_masks(faces):
    """Per test face, the face mesh's feature regions (eyes, brows, nose, mouth) as a boolean mask, or None."""
    from keras_animegan.landmarks import FaceMesh
    from keras_animegan.landmarks import landmark_weight_map
    from keras_animegan.utils.pixels import to_uint8

    mesh = FaceMesh()
    masks = []
    for face in np.asarray(to_uint8(faces)):
        result = mesh(face)
        if not result.found:
            masks.append(None)
            continue
        weights = landmark_weight_map(result.landmarks, True, face.shape[0], face.shape[1], strength=1.0,
                                      sigma=0.02, face_weight=0.0, feature_weight=1.0)[..., 0]
        masks.append(weights > 1.2 * weights.min())
    return masks


def model_card(name, spec, metadata):
    kid = metadata["kid_float16"]
    lines = [
        f"# {name}", "", spec["description"], "",
        "## Data (training splits only)", "",
        *[f"- {d}" for d in spec["data"]], "",
        "## Training", "",
        f"- Recipe: `{metadata['recipe']}` (the measured modern recipe of keras-animegan's README).",
        f"- Steps: {metadata['steps']:,}; training time {metadata['train_minutes']:.0f} min on {MACHINE}.",
        f"- Reproduce: `{metadata['command']}`.", "",
        "## Quality (keras-animegan's KID protocol: VGG16 features, 1,000 images against the held-out "
        "avatars `adventurer_10000..10999`)", "",
        f"- KID {kid[0]:.4f} ± {kid[1]:.4f} with the shipped float16 weights "
        f"(float32: {metadata['kid_float32'][0]:.4f}).",
    ]
    if "cycle_l1" in metadata:
        lines.append(f"- A -> B -> A reconstruction L1 on the 1,000 test faces: {metadata['cycle_l1']:.4f} "
                     f"([-1, 1] scale); in the face-mesh feature regions {metadata['recon_error_features']:.1f}, "
                     f"elsewhere {metadata['recon_error_elsewhere']:.1f} ([0, 255] units, "
                     f"{metadata['faces_with_mesh']} faces with a mesh).")
    lines += ["", "## Use", "", "```python", "import keras_animegan",
              f"model = keras_animegan.{metadata['class_name']}.from_preset(\"{name}\")", "```", "",
              "![samples](sample.png)", ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("preset", choices=sorted(PRESETS))
    parser.add_argument("--minutes", type=float, default=150.0, help="Training budget (default 150).")
    parser.add_argument("--variant", default="", help="Name suffix of a variant run (e.g. landmark).")
    parser.add_argument("--set", nargs="*", default=[], help="More trainer settings key=value (override the recipe).")
    parser.add_argument("--output", default=None, help="Preset folder (default keras_animegan/presets/<name>).")
    parser.add_argument("--work_dir", default=os.path.join(os.path.dirname(ROOT), "qwork"))
    args = parser.parse_args(argv)

    spec = PRESETS[args.preset]
    run_name = f"preset_{args.preset}" + (f"_{args.variant}" if args.variant else "")
    minutes = args.minutes if args.minutes != int(args.minutes) else int(args.minutes)
    sets = spec["sets"] + args.set
    command = [spec["model"], "--name", run_name, "--data", "train", "--minutes", str(minutes), "--no_eval",
               "--work_dir", args.work_dir, "--set", *sets]
    if spec["steps_per_minute"]:
        command += ["--steps_per_minute", str(spec["steps_per_minute"])]
    recipes.main(command)  # trains (or resumes) and snapshots the inference generators at the budget

    run_dir = os.path.join(args.work_dir, "runs", f"{spec['model']}_{run_name}")
    networks = {"dcgan": ("generator",), "cyclegan": ("generator_ab", "generator_ba"),
                "cartoongan": ("generator",)}[spec["model"]]
    model = keras.saving.load_model(os.path.join(run_dir, "train", f"{spec['model']}.keras"), compile=False)
    recipes.load_snapshot(model, os.path.join(run_dir, f"snapshot_{minutes}min.npz"), networks)
    with open(os.path.join(run_dir, "budget_state.json")) as f:
        budget = json.load(f)["snapshots"][str(minutes)]

    protocol = kid_protocol.KIDProtocol(args.work_dir)
    faces = masks = None
    if spec["model"] != "dcgan":
        faces = kid_protocol.load_images(kid_protocol.split_folder("faces_test", args.work_dir))
        masks = feature_masks(faces) if spec["model"] == "cyclegan" else None
    full, grid = kid_protocol.score(model, protocol, faces, masks)

    output = args.output or os.path.join(ROOT, "keras_animegan", "presets", args.preset + (
        f"_{args.variant}" if args.variant else ""))
    reproduce = "python -m benchmarks.train_presets " + " ".join(
        [args.preset] + (["--variant", args.variant] if args.variant else []) + (["--set", *args.set] if args.set else [])
        + ([] if minutes == 150 else ["--minutes", str(minutes)]))
    metadata = {
        "name": args.preset, "description": spec["description"], "class_name": type(model).__name__,
        "data": spec["data"], "recipe": " ".join(sets), "steps": budget["step"],
        "train_minutes": budget["seconds"] / 60, "budget_minutes": minutes, "machine": MACHINE,
        "command": reproduce, "date": datetime.date.today().isoformat(),
        "kid_float32": [full["kid"], full["kid_std"]],
        **{k: v for k, v in full.items() if k not in ("kid", "kid_std")},
    }
    with tempfile.TemporaryDirectory() as scratch:
        # Score the weights as shipped: float16, loaded back through from_preset.
        half_path = model.save_to_preset(os.path.join(scratch, "p"), weights_dtype="float16")
        half = type(model).from_preset(half_path)
        half_row, half_grid = kid_protocol.score(half, protocol, faces, masks)
        metadata["kid_float16"] = [half_row["kid"], half_row["kid_std"]]
        if os.path.isdir(output):
            shutil.rmtree(output)
        half.save_to_preset(output, metadata=metadata, model_card=model_card(args.preset, spec, metadata))
    from keras_animegan import visualization

    visualization.save_png(half_grid, os.path.join(output, "sample.png"))
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, f"{run_name[len('preset_'):]}.json"), "w") as f:
        json.dump(metadata, f, indent=2)
    size = sum(os.path.getsize(os.path.join(output, n)) for n in os.listdir(output))
    print(f"[preset] {args.preset}{'/' + args.variant if args.variant else ''}: step {budget['step']}, "
          f"KID {metadata['kid_float16'][0]:.4f} (float16) / {metadata['kid_float32'][0]:.4f} (float32), "
          f"{size / 1e6:.2f} MB in {output}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

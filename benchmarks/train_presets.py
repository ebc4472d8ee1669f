"""Train the shipped presets from the stand-in sets, score them in the KID protocol, write them into the package.

    python -m benchmarks.train_presets dcgan_avatars_64
    python -m benchmarks.train_presets cyclegan_faces2avatars_64 [--variant landmark --set landmark_weight=4]
    python -m benchmarks.train_presets cartoongan_faces2avatars_64
    python -m benchmarks.train_presets cartoongan_photo2anime --minutes 45
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

`cartoongan_photo2anime` first builds its training photos (`benchmarks.photo2anime_data`: public-domain
and CC0 photos plus pseudo-photos of the training splits) and is scored on the photo-like dev portraits
as `benchmarks.photo_quality` does (KID of the outputs, face-mesh identity, face found); its sample is
the public-domain astronaut photo beside its translation.
"""

import argparse
import datetime
import json
import os
import shutil
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras_animegan  # noqa: E402,F401  (before TensorFlow starts: see `utils.optional.prefer_onednn`)
import keras  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks import kid_protocol  # noqa: E402
from benchmarks import machine as machine_info  # noqa: E402
from benchmarks import recipes  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results", "presets")
AVATARS = ("10,000 anime-like avatars (DiceBear 'adventurer' 9.4.3, `adventurer_00000..09999`), CC BY 4.0, "
           "artwork by Lisa Wischofsky, via DiceBear")
FACES = ("5,000 western cartoon faces (facesjs 5.0.3, `facesjs_00000..04999`), Apache-2.0, facesjs by Jeremy "
         "Scheff; the stand-in for face photos")
# The modern recipe's measured settings (README "Training recipes and sample quality").
DCGAN_RECIPE = ["base_filters=32", "batch_size=32", "learning_rate=0.0005", "ema_decay=0.999",
                "augment=color,translation"]
TAGGED_RECIPE = ["base_filters=32", "batch_size=32", "learning_rate=0.0005", "ema_decay=0.999", "augment=translation"]
AVATAR_TAGS = ("their tags, read from DiceBear's options for each seed (`benchmarks/standin_data/render.mjs tags`; "
               "the value behind each tag is in `tfds_builders/anime/README.md`)")
TRANSLATOR_RECIPE = ["image_size=64", "base_filters=32", "batch_size=4", "ema_decay=0.999", "augment=color,translation"]

PHOTO_DATA = (
    "public-domain and CC0 photos shipped in scikit-image (astronaut: NASA, public domain; coffee: CC0, Rachel "
    "Michetti; chelsea: CC0, Stefan van der Walt; rocket: SpaceX, public domain), 400 random 128 px crops each")
PSEUDO_PHOTOS = [
    "pseudo-photos (upscaled, blurred, lit, tinted, noisy, JPEG) of 2,500 anime-like avatars of the train split "
    "(DiceBear 'adventurer' 9.4.3, from `adventurer_00000..09999`), CC BY 4.0, artwork by Lisa Wischofsky, via DiceBear",
    "pseudo-photos of 1,500 western cartoon faces of the train split (facesjs 5.0.3, from `facesjs_00000..04999`), "
    "Apache-2.0, facesjs by Jeremy Scheff"]
PHOTO2ANIME_RECIPE = [
    "architecture=unet", "base_filters=32", "cartoon_blocks=4", "target_weight=1", "content_weight=0",
    "style_weight=0", "image_size=128", "batch_size=16", "init_epochs=100000", "steps_per_epoch=100",
    "learning_rate=0.0003", "beta_1=0.9", "ema_decay=0.999"]

PRESETS = {
    "dcgan_avatars_64": dict(
        model="dcgan", sets=DCGAN_RECIPE, steps_per_minute=336.5, data=[AVATARS],
        description="DCGAN: 64x64 anime avatars from noise, trained on 10,000 DiceBear avatars."),
    "dcgan_tagged_avatars_64": dict(
        model="tagged_dcgan", sets=TAGGED_RECIPE, steps_per_minute=None, data=[AVATARS, AVATAR_TAGS],
        description="TaggedDCGAN: 64x64 anime avatars from tags (hair colour, skin, hair length, glasses, earrings, "
                    "facial features) and noise, trained on 10,000 tagged DiceBear avatars."),
    "cyclegan_faces2avatars_64": dict(
        model="cyclegan", sets=TRANSLATOR_RECIPE + ["num_blocks=6"], steps_per_minute=112.5, data=[FACES, AVATARS],
        description="CycleGAN: cartoon faces <-> anime avatars at 64x64, both directions."),
    "cartoongan_faces2avatars_64": dict(
        model="cartoongan", sets=TRANSLATOR_RECIPE + ["cartoon_blocks=8", "vgg=vgg16", "init_epochs=1"],
        steps_per_minute=None, data=[FACES, AVATARS],
        description="CartoonGAN: cartoon faces -> anime avatars at 64x64 (VGG16 content and Gram style losses)."),
    "cartoongan_photo2anime": dict(
        model="cartoongan", sets=PHOTO2ANIME_RECIPE, steps_per_minute=None, photos=True,
        data=[PHOTO_DATA, *PSEUDO_PHOTOS],
        data_note=("No face photo set whose licence allows training and shipping weights could be had, so the "
                   "photo side is public-domain/CC0 photos plus pseudo-photos of drawings. The generator is "
                   "trained toward each input's flat-colour cartoon (`keras_animegan.data.flat_cartoon`: "
                   "bilateral surface, quantized lightness, outlines, pastel tone; after White-box "
                   "Cartoonization's surface and structure representations, Wang & Yu, CVPR 2020), with an L1 "
                   "loss; no adversarial or VGG loss. The weights derive from the CC BY 4.0 avatars (credit: "
                   "Lisa Wischofsky, via DiceBear) and the Apache-2.0 facesjs faces; the photos are public "
                   "domain or CC0."),
        description="Photo -> anime at the photo's own size: a fully convolutional U-Net (White-box "
                    "Cartoonization's) trained toward each photo's flat-colour cartoon (bilateral surface, "
                    "quantized lightness, outlines, pastel tone)."),
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


def photo_scores(model, protocol):
    """`benchmarks.photo_quality`'s numbers of a photo translator on the dev portraits (measuring only)."""
    from benchmarks import photo_eval
    from benchmarks import photo_quality
    from keras_animegan.inference import Generator

    generator = Generator.from_model(model)
    photos = photo_eval.read_zip_images(photo_quality.DEV_FACES, size=photo_eval.MESH_SIZE)
    row, _ = photo_quality.evaluate("preset", generator.translate_image, photos, photo_eval.mesh_points(photos),
                                    protocol, timed=True)
    return {f"photo_{k}" if k != "seconds_per_photo" else k: v for k, v in row.items() if k != "translator"}


def astronaut_sample(model):
    """scikit-image's public-domain astronaut photo beside its translation, uint8 (for sample.png)."""
    import skimage.data

    from keras_animegan.inference import Generator

    photo = skimage.data.astronaut()
    return np.concatenate([photo, Generator.from_model(model).translate_image(photo)], axis=1)


def _card_head(name, spec, metadata):
    """The card's description, data, training and quality sections."""
    kid = metadata["kid_float16"]
    lines = [
        f"# {name}", "", spec["description"], "",
        "## Data (training splits only)", "",
        *[f"- {d}" for d in spec["data"]], "",
        *([spec["data_note"], ""] if "data_note" in spec else []),
        "## Training", "",
        f"- Recipe: `{metadata['recipe']}`" + (
            (" (the DCGAN recipe; colour jitter changes a random half of each batch only, and the tag head "
             "learns from the other half, since it changes the colours the tags name)."
             if "color" in metadata["recipe"] else
             " (the DCGAN recipe, with translation as the only augmentation: colour jitter would change the "
             "colours the tag head reads).") if spec["model"] == "tagged_dcgan" else
            " (the measured modern recipe of keras-animegan's README)." if not spec.get("photos") else "."),
        (f"- Steps: {metadata['steps']:,}; training time {metadata['train_minutes']:.0f} min on "
         f"{metadata['machine']}." if "idle_steps_per_minute" not in metadata else
         f"- Steps: {metadata['steps']:,}; training time {metadata['steps'] / metadata['idle_steps_per_minute']:.0f} "
         f"min on {metadata['machine']}, at its rate on an idle machine ({metadata['idle_steps_per_minute']:.0f} "
         f"steps/min); the run's own clock read {metadata['train_minutes']:.0f} min, with other work on the same "
         f"cores for part of it."),
        f"- Reproduce: `{metadata['command']}`.", "",
        "## Quality (keras-animegan's KID protocol: VGG16 features, against the held-out "
        "avatars `adventurer_10000..10999`)", "",
        f"- KID {kid[0]:.4f} ± {kid[1]:.4f} with the shipped float16 weights "
        f"(float32: {metadata['kid_float32'][0]:.4f})"
        + (" of the 256 translated portraits below." if "photos_float16" in metadata else " of 1,000 images."),
    ]
    if "cycle_l1" in metadata:
        lines.append(f"- A -> B -> A reconstruction L1 on the 1,000 test faces: {metadata['cycle_l1']:.4f} "
                     f"([-1, 1] scale); in the face-mesh feature regions {metadata['recon_error_features']:.1f}, "
                     f"elsewhere {metadata['recon_error_elsewhere']:.1f} ([0, 255] units, "
                     f"{metadata['faces_with_mesh']} faces with a mesh).")
    return lines


def _card_photos(metadata):
    """The photo translator's section, or none."""
    photo = metadata.get("photos_float16")
    if not photo:
        return []
    return [
        "", "## Photos (256 photo-like portraits, measuring only; keras-animegan's `benchmarks/photo_quality.py`)", "",
        f"- KID of the translated portraits (at 64 px) against the held-out avatars: {photo['photo_kid']:.4f} "
        f"± {photo['photo_kid_std']:.4f} (untranslated photos 0.310, `cv2.stylization` 0.233).",
        f"- Identity: the output's own photo is the face-mesh nearest of the 256 in {photo['photo_identity_top1']:.3f} "
        f"of the outputs, among the 5 nearest in {photo['photo_identity_top5']:.3f} "
        f"(`cv2.stylization` 0.582 / 0.848); a face is found in {photo['photo_face_found']:.3f} of the outputs.",
        f"- {photo['seconds_per_photo']:.3f} s per 256 px photo on {metadata['machine']}.",
        "- The portraits are synthetic (a StyleGAN2-FFHQ distillation, non-commercial terms): used to measure, "
        "never trained on, not shipped.",
        "- The sample below is the astronaut photo, which is also one of the training photos (400 random "
        "crops of it among 11,200 training images).",
    ]


def _card_tags(tags):
    """The tag-conditioned model's section (accuracy and grids), or none."""
    if not tags:
        return []
    agree, reader = tags["samples"]["agreement"], tags["reader"]["test"]
    return [
        "", "## Tags (`benchmarks/tag_accuracy.py`)", "",
        "A reader CNN trained on the training split's images and tags reads each sample; one sample is drawn "
        "for each of the 2,000 test avatars' tag sets (`adventurer_10000..11999`).", "",
        "| | hair colour | skin | hair length | glasses with / without | long hair with / without |",
        "|---|---|---|---|---|---|",
        f"| samples show the requested value | {agree['hair_color']:.3f} | {agree['skin']:.3f} | "
        f"{agree['hair_length']:.3f} | {agree['glasses_shown_with']:.3f} / {agree['glasses_shown_without']:.3f} | "
        f"{agree['long_hair_shown_with']:.3f} / {agree['long_hair_shown_without']:.3f} |",
        f"| the reader on the real test avatars | {reader['hair_color']:.3f} | {reader['skin']:.3f} | "
        f"{reader['hair_length']:.3f} | {reader['glasses_shown_with']:.3f} / "
        f"{reader['glasses_shown_without']:.3f} | {reader['long_hair_shown_with']:.3f} / "
        f"{reader['long_hair_shown_without']:.3f} |", "",
        f"- One tag changed, the same seed: the reader sees that change and no other in "
        f"{tags['consistency']['share']['all']:.3f} of {tags['consistency']['count']} pairs "
        f"(hair colour {tags['consistency']['share'].get('hair_color', 0):.3f}, skin "
        f"{tags['consistency']['share'].get('skin', 0):.3f}, hair length "
        f"{tags['consistency']['share'].get('hair_length', 0):.3f}, glasses "
        f"{tags['consistency']['share'].get('glasses', 0):.3f}).",
        "- The KID above is of samples drawn without tags (every tag drawn from the training set).", "",
        "Each grid: a row per value, the same 8 seeds in every row (the other groups held at brown hair, "
        "light skin, short hair).", "",
        "![hair colour](grid_hair_color.png)", "", "![skin](grid_skin.png)", "",
        "![hair length](grid_hair_length.png)", "",
        "Flags, the first row without any, then one row per flag (glasses, earrings, mustache, blush, "
        "birthmark, freckles, in the vocabulary's order):", "", "![flags](grid_flags.png)",
    ]


def _card_use(name, metadata, tags, photo):
    """How to load and run the preset."""
    return ["", "## Use", "", "```python", "import keras_animegan",
              f"model = keras_animegan.{metadata['class_name']}.from_preset(\"{name}\")", "```", "",
              *([] if not tags else ["```bash", f"keras-animegan generate --preset {name} --tags blue_hair,glasses "
                                     "--num 16 --seed 0 --output grid.png", f"keras-animegan tags --preset {name}",
                                     "```", ""]),
              *([] if not photo else ["", "```bash",
                                      f"keras-animegan translate --preset {name} photo.jpg --output anime.png",
                                      "```", "", "The output has the photo's size (`--size N` resizes the longer "
                                      "side first). Crop to the face first with `--crop_faces` for a "
                                      "portrait; whole scenes work too."]),
              "", "![samples](sample.png)", ""]


def model_card(name, spec, metadata):
    tags, photo = metadata.get("tag_accuracy"), metadata.get("photos_float16")
    lines = (_card_head(name, spec, metadata) + _card_photos(metadata) + _card_tags(tags)
             + _card_use(name, metadata, tags, photo))
    return "\n".join(lines)


def trained_model(spec, args, run_name, minutes, sets):
    """Trains (or resumes) with the trainer through `benchmarks.recipes`; the model at the budget's snapshot."""
    command = [spec["model"], "--name", run_name, "--data", "train", "--minutes", str(minutes), "--no_eval",
               "--work_dir", args.work_dir, "--set", *sets]
    if spec["steps_per_minute"]:
        command += ["--steps_per_minute", str(spec["steps_per_minute"])]
    recipes.main(command)  # trains (or resumes) and snapshots the inference generators at the budget

    run_dir = os.path.join(args.work_dir, "runs", f"{spec['model']}_{run_name}")
    networks = {"dcgan": ("generator",), "tagged_dcgan": ("generator",), "cyclegan": ("generator_ab", "generator_ba"),
                "cartoongan": ("generator",)}[spec["model"]]
    model = keras.saving.load_model(os.path.join(run_dir, "train", f"{spec['model']}.keras"), compile=False)
    recipes.load_snapshot(model, os.path.join(run_dir, f"snapshot_{minutes}min.npz"), networks)
    return model


def fitted_model(spec, path):
    """The photo translator with the weights of `benchmarks.photo2anime_fit` (its summary .json beside them)."""
    from keras_animegan import CartoonGAN

    if not spec.get("photos"):
        raise SystemExit("error: --from_fit is for cartoongan_photo2anime.")
    with open(os.path.splitext(path)[0] + ".json") as f:
        fit = json.load(f)
    settings = recipes.parse_sets(spec["sets"])
    model = CartoonGAN(None, image_size=settings["image_size"], base_filters=settings["base_filters"],
                       num_blocks=settings["cartoon_blocks"], architecture="unet", content_weight=0.0,
                       style_weight=0.0, target_weight=settings["target_weight"], ema_decay=settings["ema_decay"],
                       init_steps=fit["steps"], seed=0)
    recipes.load_snapshot(model, path, ("generator",))
    model.generator.set_weights(model.inference_network().get_weights())
    budget = {"step": fit["steps"], "seconds": 60 * fit["minutes"]}
    return model, budget, fit


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("preset", choices=sorted(PRESETS))
    parser.add_argument("--minutes", type=float, default=150.0, help="Training budget (default 150).")
    parser.add_argument("--variant", default="", help="Name suffix of a variant run (e.g. landmark).")
    parser.add_argument("--set", nargs="*", default=[], help="More trainer settings key=value (override the recipe).")
    parser.add_argument("--output", default=None, help="Preset folder (default keras_animegan/presets/<name>).")
    parser.add_argument("--work_dir", default=os.path.join(os.path.dirname(ROOT), "qwork"))
    parser.add_argument("--idle_steps_per_minute", type=float, default=None,
                        help="The trainer's rate on this machine when idle, measured: the card gives the training "
                             "time at that rate beside the run's own clock (when other work shared the cores).")
    parser.add_argument("--from_fit", default=None,
                        help="cartoongan_photo2anime: the .npz of `benchmarks.photo2anime_fit` (beside its .json) "
                             "instead of training here with the trainer.")
    return parser.parse_args(argv)


def model_and_budget(spec, args, run_name, minutes, sets):
    """The model (trained here, or fitted by `benchmarks.photo2anime_fit`), its budget snapshot and the fit's
    record (None when trained here)."""
    if spec.get("photos"):
        from benchmarks import photo2anime_data

        photos_dir = os.path.join(args.work_dir, "data", "photo2anime_photos")
        if not os.path.exists(os.path.join(photos_dir, "SOURCES.md")):
            photo2anime_data.main(["--output", photos_dir])
        args.set.insert(0, f"photos={photos_dir}")  # in the recipe and in the card's reproduce command
        sets.insert(len(spec["sets"]), f"photos={photos_dir}")
    if args.from_fit:
        return fitted_model(spec, args.from_fit)
    model = trained_model(spec, args, run_name, minutes, sets)
    with open(os.path.join(args.work_dir, "runs", f"{spec['model']}_{run_name}", "budget_state.json")) as f:
        return model, json.load(f)["snapshots"][str(minutes)], None


def provenance(args, minutes, sets, fit):
    """`(machine, reproduce command, recipe settings)` of the card."""
    reproduce = "python -m benchmarks.train_presets " + " ".join(
        [args.preset] + (["--variant", args.variant] if args.variant else []) + (["--set", *args.set] if args.set else [])
        + ([] if minutes == 150 else ["--minutes", str(minutes)]))
    if not fit:
        return machine_info.describe(extra="no GPU, fp32"), reproduce, sets
    reproduce = (f"KERAS_BACKEND={fit['backend']} python -m benchmarks.photo2anime_fit --photos PHOTOS "
                 f"--output unet.npz --minutes {fit['budget_minutes']} --batch_size "
                 f"{fit['batch_size']} --learning_rate {fit['learning_rate']}` (PHOTOS: `python -m "
                 f"benchmarks.photo2anime_data --output PHOTOS`), then `python -m benchmarks.train_presets "
                 f"{args.preset} --from_fit unet.npz")
    sets = [f"benchmarks.photo2anime_fit: size={fit['size']}", f"batch_size={fit['batch_size']}",
            f"learning_rate={fit['learning_rate']}", "Adam(beta_1=0.9) with EMA 0.999", "L1 to flat_cartoon",
            "horizontal flips"]
    return fit.get("machine", f"one GPU, Keras 3.15 on {fit['backend']}"), reproduce, sets


def score_half(half, spec, protocol, faces, masks, metadata, scratch, work_dir):
    """Scores the weights as shipped (float16) into `metadata`; returns the sample grid."""
    if spec.get("photos"):
        metadata["photos_float16"] = photo_scores(half, protocol)
        metadata["kid_float16"] = [metadata["photos_float16"]["photo_kid"],
                                   metadata["photos_float16"]["photo_kid_std"]]
        grid = astronaut_sample(half)
    else:
        half_row, grid = kid_protocol.score(half, protocol, faces, masks)
        metadata["kid_float16"] = [half_row["kid"], half_row["kid_std"]]
    if spec["model"] == "tagged_dcgan":  # the tag numbers and a grid per group, of the weights as shipped
        from benchmarks import tag_accuracy

        metadata["tag_accuracy"] = tag_accuracy.evaluate(half, work_dir, os.path.join(scratch, "grids"),
                                                         with_kid=False)
    return grid


def write_preset(model, spec, args, protocol, faces, masks, metadata, output):
    """The preset folder, with float16 weights scored through `from_preset`; returns the sample grid."""
    with tempfile.TemporaryDirectory() as scratch:
        half_path = model.save_to_preset(os.path.join(scratch, "p"), weights_dtype="float16")
        half = type(model).from_preset(half_path)
        half_grid = score_half(half, spec, protocol, faces, masks, metadata, scratch, args.work_dir)
        if os.path.isdir(output):
            shutil.rmtree(output)
        half.save_to_preset(output, metadata=metadata, model_card=model_card(args.preset, spec, metadata))
        if spec["model"] == "tagged_dcgan":
            grids_dir = os.path.join(scratch, "grids")
            for name in os.listdir(grids_dir):
                shutil.copy(os.path.join(grids_dir, name), os.path.join(output, name))
            # `benchmarks.tag_accuracy`'s result for the shipped preset: the same numbers, and the KID of
            # the same 1,000 samples drawn without tags (the float16 score above).
            tag_result = dict(metadata["tag_accuracy"], model=args.preset,
                              kid_without_tags={"kid": metadata["kid_float16"][0],
                                                "kid_std": metadata["kid_float16"][1]})
            with open(os.path.join(HERE, "results", "tag_accuracy.json"), "w") as f:
                json.dump(tag_result, f, indent=2)
    return half_grid


def score_float32(model, spec, protocol, work_dir):
    """`(scores, faces, masks)` of the trained float32 model."""
    faces = masks = None
    if spec["model"] != "dcgan" and not spec.get("photos"):
        faces = kid_protocol.load_images(kid_protocol.split_folder("faces_test", work_dir))
        masks = feature_masks(faces) if spec["model"] == "cyclegan" else None
    if spec.get("photos"):  # a photo translator is scored on photos (float32 here, float16 when written)
        photo_row = photo_scores(model, protocol)
        return {"kid": photo_row["photo_kid"], "kid_std": photo_row["photo_kid_std"]}, faces, masks
    return kid_protocol.score(model, protocol, faces, masks)[0], faces, masks


def main(argv=None):
    args = parse_args(argv)
    spec = PRESETS[args.preset]
    run_name = f"preset_{args.preset}" + (f"_{args.variant}" if args.variant else "")
    minutes = args.minutes if args.minutes != int(args.minutes) else int(args.minutes)
    sets = spec["sets"] + args.set
    model, budget, fit = model_and_budget(spec, args, run_name, minutes, sets)
    protocol = kid_protocol.KIDProtocol(args.work_dir)
    full, faces, masks = score_float32(model, spec, protocol, args.work_dir)
    output = args.output or os.path.join(ROOT, "keras_animegan", "presets", args.preset + (
        f"_{args.variant}" if args.variant else ""))
    machine, reproduce, sets = provenance(args, minutes, sets, fit)
    metadata = {
        "name": args.preset, "description": spec["description"], "class_name": type(model).__name__,
        "data": spec["data"], "recipe": " ".join(sets), "steps": budget["step"],
        "train_minutes": budget["seconds"] / 60, "budget_minutes": minutes, "machine": machine,
        "command": reproduce, "date": datetime.date.today().isoformat(),
        "kid_float32": [full["kid"], full["kid_std"]],
        **{k: v for k, v in full.items() if k not in ("kid", "kid_std")},
    }
    if args.idle_steps_per_minute:
        metadata["idle_steps_per_minute"] = args.idle_steps_per_minute
    half_grid = write_preset(model, spec, args, protocol, faces, masks, metadata, output)
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

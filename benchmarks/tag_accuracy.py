"""Tag accuracy of a tag-conditioned generator: does it draw what it is asked for?

    python -m benchmarks.tag_accuracy --preset dcgan_tagged_avatars_64
    python -m benchmarks.tag_accuracy --model runs/tagged_dcgan/tagged_dcgan.keras --json out.json

1. A reader: a small CNN trained on the training split's images and tags (`adventurer_00000..09999`,
   tags from DiceBear's options, `benchmarks/standin_data/anime_avatars_64_tags.csv`), one softmax per
   exclusive group and one sigmoid per flag. Its own accuracy is reported on the test split
   (`adventurer_10000..11999`), never trained on.
2. Tag accuracy: for every test image, the generator draws an avatar from that image's tag set (a
   seed per image); per group, the share of samples in which the reader sees the requested value.
   For glasses and hair length: the share shown with and without the tag.
3. KID (the protocol of `benchmarks/kid_protocol.py`) of 1,000 samples drawn without tags.
4. Consistency: the same seeds and tag sets with one attribute changed (hair colour, skin, hair
   length, glasses); the share where the reader sees that attribute change to the new value and the
   others (the groups and glasses) stay.
5. Variety within a tag set: for the commonest exact tag sets of the test split, how different the
   samples drawn for one set are from each other (VGG16 features), over how different the test
   avatars with that set are. KID over tag sets drawn at random does not see a generator that draws
   one face per tag set; this does.
6. Grids, one per tag group (the same seeds in every row), written beside the JSON.

Results: `benchmarks/results/tag_accuracy.json` (`--json` to choose) and the grids in
`benchmarks/results/tag_accuracy/`.
"""

import argparse
import collections
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from benchmarks import kid_protocol  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
#: The splits (`kid_protocol.SPLITS`): the reader trains on the avatar train split and is scored on the test split.
SPLIT_TRAIN = "avatars_train"
SPLIT_TEST = "avatars_test_tags"
#: The groups the acceptance reads, and the flag.
GROUPS = ("hair_color", "skin", "hair_length")
FLAGS = ("glasses",)


def split_images(name, work_dir):
    """A split's images ([-1, 1], file order) and file names."""
    from keras_animegan.data import ImageSource

    folder = kid_protocol.split_folder(name, work_dir)
    source = ImageSource(folder)
    images = kid_protocol.load_images(folder)
    return images, list(source.files)


def split_tags(files):
    from keras_animegan.utils.tags import read_tags_csv
    from keras_animegan.utils.tags import tags_for_files

    rows = tags_for_files(read_tags_csv(kid_protocol.AVATAR_TAGS), files)
    missing = [f for f in files if f not in rows]
    if missing:
        raise SystemExit(f"error: {len(missing)} images have no tags (first: {missing[0]}).")
    return [rows[f] for f in files]


def reader_network(num_tags, size=64):
    import keras
    from keras import layers

    x = inputs = keras.Input((size, size, 3))
    x = layers.RandomTranslation(0.06, 0.06, fill_mode="nearest")(x)
    x = layers.GaussianNoise(0.08)(x)  # GAN samples are a little noisy: the reader should not mind
    x = layers.Conv2D(24, 3, padding="same", activation="relu")(x)  # full resolution: glasses frames are thin
    x = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    for filters in (64, 96, 128):
        x = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)  # 4 x 4 x 128: where a thing is drawn matters (glasses sit on the eyes)
    x = layers.Dense(256, activation="relu")(x)
    return keras.Model(inputs, layers.Dense(num_tags)(x), name="tag_reader")


def reader_loss(vocabulary):
    """A cross-entropy per group, and a class-balanced one per flag (a flag is on in 1-10% of the images)."""
    import keras
    from keras import ops

    slices = vocabulary.group_slices()
    flags = np.asarray(vocabulary.flag_indices())
    share = np.asarray([vocabulary.counts[i] / vocabulary.num_images for i in flags], np.float32)
    positive = np.minimum((1.0 - share) / np.maximum(share, 1e-3), 20.0).astype(np.float32)

    def loss(targets, logits):
        total = 0.0
        for _, start, stop in slices:
            total = total + ops.mean(keras.losses.categorical_crossentropy(
                targets[:, start:stop], logits[:, start:stop], from_logits=True))
        if len(flags):
            target = ops.take(targets, flags, axis=1)
            weight = 1.0 + (positive - 1.0) * target
            bce = ops.binary_crossentropy(target, ops.take(logits, flags, axis=1), from_logits=True)
            total = total + ops.mean(ops.sum(weight * bce, axis=-1)) / 4.0
        return total

    return loss


def train_reader(vocabulary, images, labels, path, epochs=10):
    """The reader, trained once and cached at `path`."""
    import keras

    network = reader_network(len(vocabulary))
    if os.path.exists(path):
        network.load_weights(path)
        return network, None
    start = time.time()
    network.compile(keras.optimizers.Adam(1e-3), loss=reader_loss(vocabulary))
    network.fit(images, labels, batch_size=64, epochs=epochs, verbose=2, shuffle=True)
    network.save_weights(path)
    return network, time.time() - start


def trained_reader(work_dir):
    """`(reader, vocabulary, seconds it trained or None)`: the reader of the training split, cached in `work_dir`."""
    from keras_animegan.utils.tags import TagVocabulary

    train_images, train_files = split_images(SPLIT_TRAIN, work_dir)
    train_rows = split_tags(train_files)
    vocabulary = TagVocabulary.from_rows(train_rows)
    network, seconds = train_reader(vocabulary, train_images, vocabulary.encode_rows(train_rows),
                                    os.path.join(work_dir, "tag_reader.weights.h5"))
    return network, vocabulary, seconds


def read(network, vocabulary, images):
    """Per image: `{group: predicted tag}` and `{flag: on}` by the reader."""
    logits = network.predict(np.asarray(images, np.float32), batch_size=200, verbose=0)
    out = []
    for row in logits:
        tags = {g: vocabulary.tags[start + int(np.argmax(row[start:stop]))]
                for g, start, stop in vocabulary.group_slices()}
        tags.update({vocabulary.tags[i]: bool(row[i] > 0) for i in vocabulary.flag_indices()})
        out.append(tags)
    return out


def truth(vocabulary, rows):
    """Per tag row: `{group: its tag or None}` and `{flag: on}`, in the shape `read` returns."""
    out = []
    for row in rows:
        known = [t for t in row if t in vocabulary.index]
        tags = {g: next((t for t in known if vocabulary.groups[vocabulary.index[t]] == g), None)
                for g in vocabulary.group_names}
        tags.update({f: f in known for f in vocabulary.flags})
        out.append(tags)
    return out


def agreement(predicted, wanted, vocabulary):
    """Per group the share of matches; per flag the share shown with the flag and without it."""
    result = {}
    for group in vocabulary.group_names:
        pairs = [(p[group], w[group]) for p, w in zip(predicted, wanted) if w[group] is not None]
        result[group] = float(np.mean([p == w for p, w in pairs]))
    for flag in vocabulary.flags:
        on = [p[flag] for p, w in zip(predicted, wanted) if w[flag]]
        off = [p[flag] for p, w in zip(predicted, wanted) if not w[flag]]
        result[f"{flag}_shown_with"] = float(np.mean(on)) if on else None
        result[f"{flag}_shown_without"] = float(np.mean(off)) if off else None
    for tag in ("long_hair", "short_hair"):
        if tag in vocabulary.index:
            group = vocabulary.groups[vocabulary.index[tag]]
            on = [p[group] == tag for p, w in zip(predicted, wanted) if w[group] == tag]
            off = [p[group] == tag for p, w in zip(predicted, wanted) if w[group] not in (tag, None)]
            result[f"{tag}_shown_with"] = float(np.mean(on))
            result[f"{tag}_shown_without"] = float(np.mean(off))
    return result


def generate(model, tag_lists, seeds, chunk=200):
    """One sample per (tag list, seed): the seed's noise with exactly that tag list."""
    import keras

    inputs = np.concatenate([model.tag_inputs(1, [tags], int(seed)) for tags, seed in zip(tag_lists, seeds)])
    return np.concatenate([keras.ops.convert_to_numpy(model(inputs[i:i + chunk], training=False))
                           for i in range(0, len(inputs), chunk)])


def changed_one(rows, vocabulary, rng):
    """Per row: (attribute, new tag list, new value) with one of hair colour, skin, hair length or glasses changed."""
    out = []
    attributes = [g for g in GROUPS if g in vocabulary.group_names] + [f for f in FLAGS if f in vocabulary.index]
    for i, row in enumerate(rows):
        attribute = attributes[i % len(attributes)]
        new = list(row)
        if attribute in vocabulary.group_names:
            current = [t for t in row if t in vocabulary.index and vocabulary.groups[vocabulary.index[t]] == attribute]
            choices = [t for t in vocabulary.group_tags(attribute) if t not in current]
            value = str(rng.choice(choices))
            new = [t for t in row if t not in current] + [value]
        else:
            value = attribute not in row
            new = (row + [attribute]) if value else [t for t in row if t != attribute]
        out.append((attribute, new, value))
    return out


def consistency(model, network, vocabulary, rows, seeds, rng):
    changes = changed_one(rows, vocabulary, rng)
    before = read(network, vocabulary, generate(model, rows, seeds))
    after = read(network, vocabulary, generate(model, [c[1] for c in changes], seeds))
    watched = [g for g in GROUPS if g in vocabulary.group_names] + [f for f in FLAGS if f in vocabulary.index]
    per = {}
    for (attribute, _, value), b, a in zip(changes, before, after):
        ok = a[attribute] == value and all(a[w] == b[w] for w in watched if w != attribute)
        per.setdefault(attribute, []).append(ok)
    result = {k: float(np.mean(v)) for k, v in per.items()}
    result["all"] = float(np.mean([x for v in per.values() for x in v]))
    return result


def mean_cosine_distance(features):
    """Mean pairwise cosine distance of feature rows."""
    unit = features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
    return float(np.mean((1.0 - unit @ unit.T)[np.triu_indices(len(unit), 1)]))


def variety(model, images, rows, features, num_sets=8, per_set=20, seed=123):
    """How much the noise draws within one tag set, against the real avatars with that exact tag set.

    For the `num_sets` commonest exact tag sets of `rows` (with at least `per_set` images each): the mean
    pairwise cosine distance of VGG16 features among `per_set` samples drawn for the set, over the same
    among `per_set` real images with it. 1 is the real avatars' variety; a generator that draws one face
    per tag set (hair style, eyes, mouth, glasses the same for every seed) scores low although its KID,
    over tag sets drawn at random, can be good.
    """
    from keras_animegan import metrics

    known = [tuple(sorted(t for t in row if t in model.tag_vocabulary.index)) for row in rows]
    counts = collections.Counter(known)
    common = [k for k, c in sorted(counts.items(), key=lambda kc: (-kc[1], kc[0])) if c >= per_set][:num_sets]
    if not common:
        raise SystemExit(f"error: no tag set has {per_set} images to compare variety with.")
    out = {}
    for key in common:
        real = np.asarray(images)[[i for i, k in enumerate(known) if k == key][:per_set]]
        samples = generate(model, [list(key)] * per_set, np.arange(per_set) + seed)
        real_d, sample_d = (mean_cosine_distance(metrics.distances.activations(np.asarray(x, np.float32), features,
                                                                               batch_size=50))
                            for x in (real, samples))
        out[" ".join(key)] = sample_d / real_d
    return {"what": f"within each of the {len(common)} commonest exact tag sets: mean pairwise cosine distance of "
                    f"VGG16 features among {per_set} samples for the set, over the same among {per_set} real "
                    f"avatars with it; the mean over the sets (1: as varied as the real avatars)",
            "ratio": float(np.mean(list(out.values()))), "per_set": out}


def grids(model, out_dir, seeds=8):
    """One grid per group: a row per value, the same seeds in every row; and one of the flags, off then on."""
    import keras

    from keras_animegan import visualization

    os.makedirs(out_dir, exist_ok=True)
    vocabulary = model.tag_vocabulary
    written = {}
    base = {"skin": "light_skin", "hair_length": "short_hair", "hair_color": "brown_hair"}
    for group in vocabulary.group_names:
        rows = []
        for tag in sorted(vocabulary.group_tags(group)):
            others = [v for g, v in base.items() if g != group and v in vocabulary.index]
            rows.append(model.tag_inputs(seeds, [tag] + others, 11))
        images = keras.ops.convert_to_numpy(model(np.concatenate(rows), training=False))
        path = os.path.join(out_dir, f"grid_{group}.png")
        visualization.save_png(visualization.make_grid(images, seeds), path)
        written[group] = path
    rows = [model.tag_inputs(seeds, ["brown_hair", "light_skin", "short_hair"], 11)]
    rows += [model.tag_inputs(seeds, ["brown_hair", "light_skin", "short_hair", f], 11) for f in vocabulary.flags]
    images = keras.ops.convert_to_numpy(model(np.concatenate(rows), training=False))
    path = os.path.join(out_dir, "grid_flags.png")
    visualization.save_png(visualization.make_grid(images, seeds), path)
    written["flags"] = path
    return written


def load_model(args):
    import keras

    import keras_animegan  # noqa: F401 - registers the classes
    from keras_animegan.models import GANModel

    if args.preset:
        return GANModel.from_preset(args.preset)
    return keras.saving.load_model(args.model, compile=False)


def evaluate(model, work_dir, grids_dir, with_kid=True, consistency_samples=800):
    """Every number of this benchmark for a `TaggedDCGAN` (see the module docstring), grids in `grids_dir`."""
    network, vocabulary, reader_seconds = trained_reader(work_dir)
    test_images, test_files = split_images(SPLIT_TEST, work_dir)
    test_rows = split_tags(test_files)
    reader = agreement(read(network, vocabulary, test_images), truth(vocabulary, test_rows), vocabulary)
    print("[reader on the test split]", json.dumps(reader), flush=True)

    missing = sorted({t for row in test_rows for t in row} - set(model.tag_vocabulary.index))
    if missing:
        print(f"note: the model does not know {missing}; those tags are left out of its requests.")
    requests = [[t for t in row if t in model.tag_vocabulary.index] for row in test_rows]
    seeds = np.arange(len(requests)) + 100000
    start = time.time()
    samples = generate(model, requests, seeds)
    seconds_per_image = (time.time() - start) / len(samples)
    tags = agreement(read(network, vocabulary, samples), truth(vocabulary, requests), vocabulary)
    print("[samples from the test split's tag sets]", json.dumps(tags), flush=True)

    n = min(consistency_samples, len(requests))
    consistent = consistency(model, network, vocabulary, requests[:n], seeds[:n], np.random.default_rng(0))
    print("[one tag changed]", json.dumps(consistent), flush=True)

    from keras_animegan import metrics

    # One VGG16 for both measures: the KID protocol's, or (without KID) the same network on its own.
    protocol = kid_protocol.KIDProtocol(work_dir) if with_kid else None
    features = protocol.features if protocol else metrics.vgg16_pool_features(kid_protocol.VGG_WEIGHTS)
    varied = variety(model, test_images, requests, features)
    print(f"[variety within a tag set, over the real avatars'] {varied['ratio']:.3f}", flush=True)

    kid = None
    if protocol:
        kid = protocol.kid(kid_protocol.dcgan_samples(model))
        print(f"[kid without tags] {kid[0]:.4f} ± {kid[1]:.4f}", flush=True)
    written = grids(model, grids_dir)
    return {
        "reader": {"what": "CNN on the training split's images and tags; accuracy on the test split "
                           "adventurer_10000..11999", "train_seconds": reader_seconds, "test": reader},
        "samples": {"what": "one sample per test image, from its tag set (seed 100000 + i)", "count": len(samples),
                    "seconds_per_image": seconds_per_image, "agreement": tags},
        "consistency": {"what": "the same seed and tag set with one of hair colour, skin, hair length, glasses "
                                "changed: the share where the reader sees that change and no other", "count": n,
                        "share": consistent},
        "variety": varied,
        "kid_without_tags": None if kid is None else {"kid": kid[0], "kid_std": kid[1]},
        "grids": sorted(os.path.basename(v) for v in written.values()),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default=None)
    parser.add_argument("--model", default=None, help="A TaggedDCGAN .keras file (instead of --preset).")
    parser.add_argument("--work_dir", default=os.path.join(os.path.dirname(os.path.dirname(HERE)), "qwork"))
    parser.add_argument("--json", default=os.path.join(RESULTS, "tag_accuracy.json"))
    parser.add_argument("--grids", default=os.path.join(RESULTS, "tag_accuracy"))
    parser.add_argument("--consistency_samples", type=int, default=800)
    parser.add_argument("--no_kid", action="store_true")
    args = parser.parse_args(argv)
    if bool(args.preset) == bool(args.model):
        parser.error("give --preset or --model")
    out = evaluate(load_model(args), args.work_dir, args.grids, with_kid=not args.no_kid,
                   consistency_samples=args.consistency_samples)
    out["model"] = args.preset or args.model
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(out, f, indent=2)
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

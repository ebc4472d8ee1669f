"""Build time and read throughput of the TFDS builders on the stand-in sets.

Run by hand:  python -m benchmarks.tfds_build [--data_zip ../shared/data/anime-avatars-64.zip] [--name faces]
Prints a table: build seconds, examples, read images/s (tfds.load) and training-pipeline images/s.
"""

import argparse
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow_datasets as tfds  # noqa: E402

import tfds_builders  # noqa: E402,F401
from keras_animegan.data import TFDSImageSource  # noqa: E402


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data_zip", default=os.path.join(here, "..", "..", "shared", "data", "anime-avatars-64.zip"))
    parser.add_argument("--name", default="faces")
    parser.add_argument("--configs", default="64px,128px")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as data_dir:
        for config in args.configs.split(","):
            name = f"{args.name}/{config}"
            builder = tfds.builder(name, data_dir=data_dir)
            t = time.perf_counter()
            builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=args.data_zip))
            build_s = time.perf_counter() - t
            n = sum(s.num_examples for s in builder.info.splits.values())
            ds = builder.as_dataset(split="train")
            t = time.perf_counter()
            count = sum(1 for _ in ds)
            read = count / (time.perf_counter() - t)
            source = TFDSImageSource(name, data_dir=data_dir)
            size = int(config.rstrip("px"))
            it = iter(source.dataset(size, 128, seed=0, cache=False))
            next(it)
            t = time.perf_counter()
            batches = 40
            for _ in range(batches):
                next(it)
            pipeline = batches * 128 / (time.perf_counter() - t)
            rows.append((name, n, build_s, read, pipeline))
    print(f"TFDS builders on {os.path.basename(args.data_zip)}, {os.cpu_count()} CPU(s)")
    print("| dataset | examples | build s | tfds read img/s | training pipeline img/s (batch 128) |")
    print("|---|---|---|---|---|")
    for name, n, build_s, read, pipeline in rows:
        print(f"| {name} | {n} | {build_s:.1f} | {read:.0f} | {pipeline:.0f} |")


if __name__ == "__main__":
    main()

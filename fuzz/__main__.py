"""`python -m fuzz TARGET --seconds N`: see the package docstring."""

import argparse
import hashlib
import os
import random
import sys
import time

from fuzz.seeds import SEEDS
from fuzz.targets import TARGETS
from fuzz.targets import run_one

CRASHES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crashes")
INTERESTING = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0xFFFF, 0x10000, 0x7FFFFFFF, 0xFFFFFFFF]


def mutate(data, rng, seeds):
    """A few random edits of `data`: bits, bytes, integers at random offsets, cuts, copies and splices."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        kind = rng.randrange(7)
        at = rng.randrange(len(data) + 1)
        if kind == 0 and data:
            data[min(at, len(data) - 1)] ^= 1 << rng.randrange(8)
        elif kind == 1 and data:
            data[min(at, len(data) - 1)] = rng.choice([0, 0xFF, 0x7F, 0x80, rng.randrange(256)])
        elif kind == 2:
            value = rng.choice(INTERESTING)
            width = rng.choice([2, 4])
            data[at:at + width] = (value % (1 << (8 * width))).to_bytes(width, rng.choice(["little", "big"]))
        elif kind == 3:
            data[at:at + rng.randint(1, 64)] = b""
        elif kind == 4:
            start = rng.randrange(len(data) + 1)
            data[at:at] = data[start:start + rng.randint(1, 256)] * rng.choice([1, 1, 2, 16])
        elif kind == 5:
            other = rng.choice(seeds)
            start = rng.randrange(len(other) + 1)
            data[at:] = other[start:]
        else:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return bytes(data[:1 << 20])


def fuzz(target, seconds, seed=0, out=CRASHES, log=print):
    """The built-in mutation fuzzer: returns `(inputs run, findings {description: path})`."""
    rng = random.Random(seed)
    seeds = list(SEEDS[target]())
    for data in seeds:  # warm up: the first call imports the package, which is not the parser being slow
        run_one(target, data)
    pool, findings, runs = list(seeds), {}, 0
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        data = mutate(rng.choice(pool), rng, seeds)
        runs += 1
        found = run_one(target, data)
        if found is None:
            if len(pool) < 2000 and rng.random() < 0.05:  # keep some mutants: deeper edits of deeper files
                pool.append(data)
            continue
        key = found.split(":")[0] + found[:60]
        if key not in findings:
            os.makedirs(out, exist_ok=True)
            path = os.path.join(out, f"{target}-{hashlib.sha1(data).hexdigest()[:12]}.bin")
            with open(path, "wb") as f:
                f.write(data)
            findings[key] = path
            log(f"finding: {found} ({path})")
    return runs, findings


def fuzz_atheris(target, seconds):
    """Coverage-guided, with atheris (libFuzzer): crashes are written where libFuzzer writes them."""
    import tempfile

    import atheris

    corpus = tempfile.mkdtemp()
    for i, data in enumerate(SEEDS[target]()):
        with open(os.path.join(corpus, f"seed{i}"), "wb") as f:
            f.write(data)
    import importlib

    names = ["keras_animegan.utils.image_size", "keras_animegan.utils.archives", "keras_animegan.utils.tags",
             "keras_animegan.utils.decoding"]
    for name in names:  # the package first, uninstrumented (instrumenting TensorFlow takes minutes)
        importlib.import_module(name)
    with atheris.instrument_imports(include=names):  # then the parsers again, instrumented
        for name in names:
            importlib.reload(sys.modules[name])

    def one_input(data):
        found = run_one(target, data)
        if found is not None:
            raise RuntimeError(found)

    atheris.Setup([sys.argv[0], f"-max_total_time={int(seconds)}", "-rss_limit_mb=4096", corpus], one_input)
    atheris.Fuzz()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__)
    parser.add_argument("target", choices=sorted(TARGETS) + ["all"])
    parser.add_argument("--seconds", type=float, default=300.0, help="How long to fuzz each target.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--atheris", action="store_true", help="Coverage-guided with atheris (pip install atheris).")
    args = parser.parse_args(argv)
    targets = sorted(TARGETS) if args.target == "all" else [args.target]
    if args.atheris:
        return fuzz_atheris(targets[0], args.seconds)
    status = 0
    for target in targets:
        start = time.monotonic()
        runs, findings = fuzz(target, args.seconds, args.seed)
        print(f"{target}: {runs:,} inputs in {time.monotonic() - start:.0f} s, {len(findings)} finding(s)")
        status = status or (1 if findings else 0)
    return status


if __name__ == "__main__":
    sys.exit(main())

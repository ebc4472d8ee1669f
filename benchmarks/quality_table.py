"""Prints the recipe x budget KID tables from `benchmarks/results/recipes/*.json` (written by `benchmarks.recipes`).

    python -m benchmarks.quality_table [--results benchmarks/results/recipes] [--json benchmarks/results/quality_table.json]
"""

import argparse
import glob
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def load(results_dir):
    runs = []
    for path in sorted(glob.glob(os.path.join(results_dir, "*.json"))):
        with open(path) as f:
            runs.append(json.load(f))
    return runs


def describe(run):
    c = run["config"]
    parts = [f"w{c.get('base_filters')}", f"b{c.get('batch_size')}", f"lr {c.get('learning_rate')}"]
    if c.get("g_learning_rate") or c.get("d_learning_rate"):
        parts.append(f"G {c.get('g_learning_rate')} / D {c.get('d_learning_rate')}")
    parts.append(f"EMA {c.get('ema_decay') or 'off'}")
    parts.append(f"aug {c.get('augment') or 'off'}")
    if c.get("r1_gamma"):
        parts.append(f"R1 {c['r1_gamma']}")
    if c.get("discriminator_norm") == "spectral":
        parts.append("SN-D")
    if c.get("mixed_precision", "none") != "none":
        parts.append(c["mixed_precision"])
    parts.append(c.get("gan_mode", ""))
    return ", ".join(p for p in parts if p)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", default=os.path.join(HERE, "results", "recipes"))
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    runs = load(args.results)
    table = []
    print("| model | data | run | settings | budget (min) | steps | KID | cycle L1 | note |")
    print("|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        for row in run["results"]:
            l1 = f"{row['cycle_l1']:.3f}" if "cycle_l1" in row else ""
            print(f"| {run['model']} | {run['data']} | {run['name']} | {describe(run)} | {row['minutes']} | "
                  f"{row['step']} | {row['kid']:.4f} ± {row['kid_std']:.4f} | {l1} | {run.get('note', '')} |")
            table.append({"model": run["model"], "data": run["data"], "name": run["name"], **row})
    if args.json:
        with open(args.json, "w") as f:
            json.dump(table, f, indent=2)


if __name__ == "__main__":
    main()

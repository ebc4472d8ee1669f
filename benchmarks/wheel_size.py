"""The wheel's size, and how much of it the shipped presets take (issue 17's budget: presets add at most 30 MB).

    python -m benchmarks.wheel_size

Builds the wheel with `pip wheel --no-deps` into a temporary folder, then sums the compressed
sizes of its members by part (presets, each preset, the embedded data, the face-mesh models, the
rest). Prints a table and writes `benchmarks/results/wheel_size.json`.
"""

import json
import os
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PRESET_BUDGET_MB = 30.0


def part_of(name):
    parts = name.split("/")
    if parts[:2] == ["keras_animegan", "presets"] and len(parts) > 3:
        return f"preset {parts[2]}"
    if parts[:3] == ["keras_animegan", "data", "embedded"]:
        return "embedded data"
    if parts[:2] == ["keras_animegan", "landmarks"] and name.endswith(".tflite"):
        return "face-mesh models"
    return "code and the rest"


def main():
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, ROOT], check=True)
        (wheel,) = [os.path.join(out, n) for n in os.listdir(out) if n.endswith(".whl")]
        total = os.path.getsize(wheel)
        sizes = {}
        with zipfile.ZipFile(wheel) as archive:
            for info in archive.infolist():
                sizes[part_of(info.filename)] = sizes.get(part_of(info.filename), 0) + info.compress_size
    presets_mb = sum(v for k, v in sizes.items() if k.startswith("preset ")) / 1e6
    print("| part | MB (compressed in the wheel) |\n|---|---|")
    for part, size in sorted(sizes.items()):
        print(f"| {part} | {size / 1e6:.2f} |")
    print(f"| **wheel** | **{total / 1e6:.2f}** |")
    print(f"presets: {presets_mb:.2f} MB of a {PRESET_BUDGET_MB:.0f} MB budget "
          f"({'met' if presets_mb <= PRESET_BUDGET_MB else 'NOT met'})")
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "wheel_size.json"), "w") as f:
        json.dump({"wheel_mb": total / 1e6, "parts_mb": {k: v / 1e6 for k, v in sizes.items()},
                   "presets_mb": presets_mb, "preset_budget_mb": PRESET_BUDGET_MB}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Training recipes against wall-clock budgets, measured by KID (the protocol of `benchmarks/kid_protocol.py`).

One run trains a model with the trainer's own code (`keras_animegan.train.dcgan.run` /
`keras_animegan.train.cyclegan.run`) and snapshots its inference generator (the EMA one when
the recipe keeps one) when the training time crosses each budget; a constant
learning rate makes the 4-minute snapshot of a long run the same as a 4-minute
run. After training, each snapshot is scored in the KID protocol and a sample
grid is written beside it. Results go to `benchmarks/results/recipes/<name>.json`.

    python -m benchmarks.recipes dcgan --name modern_embedded --minutes 4,20,60
    python -m benchmarks.recipes dcgan --name report_train10k --data train --set recipe=report --minutes 4,20,60
    python -m benchmarks.recipes dcgan --name no_ema --data train --set ema_decay=0 --minutes 20
    python -m benchmarks.recipes cyclegan --name modern_demo --minutes 4,20

`--data embedded` trains exactly as the README demo does (the package's 2,000
avatars, the embedded defaults); `--data train` on the 10,000 avatars of the
stand-in train split. A killed run resumes (the trainer's checkpoint, and the
training time so far in `budget_state.json`). Training time counts everything
inside `fit` (first-step tracing, sample grids, checkpoints) but not the
snapshots themselves.
"""

import argparse
import dataclasses
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras_animegan  # noqa: E402,F401  (before TensorFlow starts: see `utils.optional.prefer_onednn`)
import keras  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks import kid_protocol  # noqa: E402
from benchmarks import machine  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results", "recipes")


class BudgetSnapshots(keras.callbacks.Callback):
    """Saves the inference generators' weights when training time crosses each budget; stops after the last."""

    def __init__(self, directory, minutes, networks, steps_per_minute=None):
        super().__init__()
        self.directory, self.marks, self.networks = directory, sorted(minutes), networks
        # With steps_per_minute, a budget of m minutes is round(m * steps_per_minute) steps: the steps
        # the run makes in m minutes on an otherwise idle machine, so other work may share the CPU.
        self.steps_per_minute = steps_per_minute
        self.state_path = os.path.join(directory, "budget_state.json")
        self.state = {"seconds": 0.0, "snapshots": {}}
        if os.path.exists(self.state_path):
            with open(self.state_path) as f:
                self.state = json.load(f)
        self.last = None

    def _save_state(self):
        with open(self.state_path + ".tmp", "w") as f:
            json.dump(self.state, f, indent=1)
        os.replace(self.state_path + ".tmp", self.state_path)

    def on_train_begin(self, logs=None):
        self.last = time.time()

    def on_train_batch_end(self, batch, logs=None):
        now = time.time()
        self.state["seconds"] += now - self.last
        step = self.model.train_steps
        if self.steps_per_minute:
            due = [m for m in self.marks
                   if str(m) not in self.state["snapshots"] and step >= round(m * self.steps_per_minute)]
        else:
            due = [m for m in self.marks if str(m) not in self.state["snapshots"] and self.state["seconds"] >= 60 * m]
        for minutes in due:
            weights = {}
            for name in self.networks:
                for i, w in enumerate(self.model.inference_network(name).get_weights()):
                    weights[f"{name}/{i}"] = w
            np.savez(os.path.join(self.directory, f"snapshot_{minutes}min.npz"), **weights)
            self.state["snapshots"][str(minutes)] = {"step": step, "seconds": self.state["seconds"]}
            print(f"[budget] {minutes} min: step {step}", flush=True)
        if due or step % 50 == 0:
            self._save_state()
        if len(self.state["snapshots"]) == len(self.marks):
            self.model.stop_training = True
        self.last = time.time()


def load_snapshot(model, path, networks):
    data = np.load(path)
    for name in networks:
        network = model.inference_network(name)
        network.set_weights([data[f"{name}/{i}"] for i in range(len(network.weights))])


def parse_sets(items):
    """`key=value` overrides -> dict, values parsed as JSON where they parse (numbers, true/false), else strings."""
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


#: The stand-in data each trainer takes with `--data train`: trainer flag -> the split folder (or a file).
TRAIN_DATA = {
    "dcgan": {"image_dir": "avatars_train"},
    # The avatars' tags, from DiceBear's options (benchmarks/standin_data/render.mjs).
    "tagged_dcgan": {"image_dir": "avatars_train", "tags_csv": kid_protocol.AVATAR_TAGS},
    "cyclegan": {"domain_a": "faces_train", "domain_b": "avatars_train"},
    "cartoongan": {"photos": "faces_train", "cartoons": "avatars_train"},
}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", choices=sorted(TRAIN_DATA))
    parser.add_argument("--name", required=True)
    parser.add_argument("--data", choices=["embedded", "train"], default="embedded")
    parser.add_argument("--minutes", default="4", help="Comma-separated training budgets in minutes.")
    parser.add_argument("--steps_per_minute", type=float, default=None,
                        help="Budget in steps instead of wall-clock: minutes x this rate (measured on an idle "
                             "machine, e.g. by a wall-clock run of the same settings), so other work may run beside it.")
    parser.add_argument("--set", nargs="*", default=[], help="Config overrides key=value (trainer config fields).")
    parser.add_argument("--work_dir", default=os.path.join(os.path.dirname(os.path.dirname(HERE)), "qwork"))
    parser.add_argument("--data_dir", default=kid_protocol.DATA_DIR)
    parser.add_argument("--vgg_weights", default=kid_protocol.VGG_WEIGHTS)
    parser.add_argument("--no_eval", action="store_true", help="Train and snapshot only.")
    return parser.parse_args(argv)


def trainer_config(args, run_dir):
    """The registered model's trainer and its config: the recipe, `--set`, and the stand-in data with
    `--data train` (a `--set` of the same flag wins)."""
    from keras_animegan.models import model_entry

    trainer = model_entry(args.model).trainer_class()
    overrides = parse_sets(args.set)
    for key, value in (("epochs", 100000), ("verbose", "2"), ("checkpoint_every", 100)):
        overrides.setdefault(key, value)
    if args.data == "train":
        for flag, split in TRAIN_DATA[args.model].items():
            overrides.setdefault(flag, split if os.path.isabs(split) else
                                 kid_protocol.split_folder(split, args.work_dir, args.data_dir))
    if "vgg" in {field.name for field in dataclasses.fields(trainer.config_class)}:
        overrides.setdefault("vgg", "vgg16")  # the VGG16 file the project's machines have
        overrides.setdefault("vgg_weights", args.vgg_weights)
    return trainer, trainer.config_class(model_dir=os.path.join(run_dir, "train"), **overrides)


def score_snapshots(args, model, snapshots, minutes, networks, run_dir):
    """Each budget's snapshot in the KID protocol: its row, and its grid beside the run."""
    from keras_animegan import visualization

    protocol = kid_protocol.KIDProtocol(args.work_dir, args.data_dir, args.vgg_weights)
    rows, faces = [], None
    if model.input_kind == "image":
        faces = kid_protocol.load_images(kid_protocol.split_folder("faces_test", args.work_dir, args.data_dir))
    for m in minutes:
        info = snapshots.state["snapshots"][str(m)]
        load_snapshot(model, os.path.join(run_dir, f"snapshot_{m}min.npz"), networks)
        row = {"minutes": m, "step": info["step"], "train_seconds": info["seconds"]}
        scores, grid = kid_protocol.score(model, protocol, faces)
        row.update(scores)
        visualization.save_png(grid, os.path.join(run_dir, f"grid_{m}min.png"))
        rows.append(row)
        print(f"[kid] {args.model} {args.name} {m} min (step {row['step']}): KID {row['kid']:.4f} "
              f"± {row['kid_std']:.4f}" + (f", cycle L1 {row['cycle_l1']:.4f}" if "cycle_l1" in row else ""),
              flush=True)
    return rows


def main(argv=None):
    args = parse_args(argv)
    from keras_animegan.models import model_entry
    from keras_animegan.train import trainer as common

    common.setup_logging()
    minutes = [float(m) if "." in m else int(m) for m in args.minutes.split(",")]
    run_dir = os.path.join(args.work_dir, "runs", f"{args.model}_{args.name}")
    os.makedirs(run_dir, exist_ok=True)
    trainer, config = trainer_config(args, run_dir)
    networks = model_entry(args.model).cls.ema_network_names  # the generators (what a snapshot keeps)
    snapshots = BudgetSnapshots(run_dir, minutes, networks, args.steps_per_minute)
    if len(snapshots.state["snapshots"]) < len(minutes):
        result = trainer(config, [snapshots]).run()
        model, resolved = result.model, result.config
    else:
        resolved = trainer.resolve(config)
        model = keras.saving.load_model(os.path.join(resolved.model_dir, f"{args.model}.keras"), compile=False)
    if args.no_eval:
        return 0
    rows = score_snapshots(args, model, snapshots, minutes, networks, run_dir)
    os.makedirs(RESULTS, exist_ok=True)
    out = {"model": args.model, "name": args.name, "data": args.data, "overrides": parse_sets(args.set),
           "budget": (f"steps: {args.steps_per_minute} steps per minute (idle-machine rate)" if args.steps_per_minute
                      else "wall-clock training time"),
           "config": {k: v for k, v in dataclasses.asdict(resolved).items()
                      if k not in ("model_dir", "export_dir", "image_dir", "domain_a", "domain_b")},
           "results": rows, "machine": machine.describe()}
    with open(os.path.join(RESULTS, f"{args.model}_{args.name}.json"), "w") as f:
        json.dump(out, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

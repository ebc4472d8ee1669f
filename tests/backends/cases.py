"""Every cross-backend case on the current Keras backend, in one process (Keras and the backend import once).

`python tests/backends/cases.py OUT_DIR [--numpy] [--without_onednn]` runs, in this order, each in its own
`OUT_DIR/<case>/` folder and each whatever the others did:
- `steps`: `step_case.py` (one step's losses, gradients and updates);
- `fits`: `fit_case.py` (CycleGAN and CartoonGAN with every recipe option; its JSON lines go to `fits.stdout`);
- `trained`: the tiny DCGAN trained by the DCGAN trainer's `main` (what `python -m train.dcgan` runs) with the
  flags given after `--train`, which the resume and data-parallel checks continue;
- `trainers`: `train_case.py` (the three trainers as a user runs them; `--numpy` and `--without_onednn` change
  this process from here on, so it runs last).
Each case's exit status and traceback go to `OUT_DIR/<case>.json`, its output to `OUT_DIR/<case>.stdout` and
`.stderr` (the file descriptors: logging and warnings included), so each test reads and reports its own case.
"""

import contextlib
import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


@contextlib.contextmanager
def _output_to(prefix):
    """File descriptors 1 and 2 (what Python, logging and TensorFlow's C++ write) to `prefix.stdout` / `.stderr`."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(f"{prefix}.stdout", "w") as out, open(f"{prefix}.stderr", "w") as err:
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, copy in zip((1, 2), saved):
                os.dup2(copy, fd)
                os.close(copy)


def _record(out_dir, name, run):
    folder = prefix = os.path.join(out_dir, name)  # the case's folder, and the stem of its .json/.stdout/.stderr
    os.makedirs(folder, exist_ok=True)
    with _output_to(prefix):
        try:
            status, error = run(folder), None
        except BaseException:  # the case's failure is its test's message, and the other cases still run
            status, error = 1, traceback.format_exc()
            print(error, file=sys.stderr)
    with open(f"{prefix}.json", "w") as f:
        json.dump({"status": status, "error": error}, f)
    with open(f"{prefix}.stderr") as f:
        sys.stderr.write(f.read()[-3000:])  # also in the process's own output


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    out_dir, flags = argv[0], argv[1:]
    split = flags.index("--train") if "--train" in flags else len(flags)
    trainer_flags, train_flags = flags[:split], flags[split + 1:]

    from tests.backends import fit_case
    from tests.backends import step_case
    from tests.backends import train_case

    _record(out_dir, "steps", lambda folder: step_case.main([folder]))
    _record(out_dir, "fits", lambda folder: fit_case.main())

    def trained(folder):
        from keras_animegan.train import dcgan

        return dcgan.main([*train_flags, f"--model_dir={os.path.join(folder, 'run')}"])

    _record(out_dir, "trained", trained)
    _record(out_dir, "trainers", lambda folder: train_case.main([folder, *trainer_flags]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

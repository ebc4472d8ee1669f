"""Train throughput beside PyTorch: the same benchmark as `benchmarks.speed` (its flags and JSON).

    python -m benchmarks.pytorch_compare --models dcgan,cyclegan128 --precisions fp32,bf16 --json out.json

The JSON keeps the shape scripts read: `rows[].keras.img_s`, `rows[].keras.first_step_s` (the
fastest Keras backend) and `rows[].torch.<eager|channels_last|compile>.img_s`.
"""

import sys

from benchmarks.speed import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m benchmarks.pytorch_compare"))

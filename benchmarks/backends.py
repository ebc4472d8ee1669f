"""Training throughput on the three Keras backends beside PyTorch: the same benchmark as `benchmarks.speed`.

    python -m benchmarks.backends [--models dcgan,cyclegan128] [--precisions fp32,bf16] [--json out.json]
"""

import sys

from benchmarks.speed import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m benchmarks.backends"))

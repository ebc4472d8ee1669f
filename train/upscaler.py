"""`python -m train.upscaler` from a clone of the repository: the same as `keras-animegan train upscaler`.

The trainer lives in `keras_animegan.train.upscaler`; this shim keeps the
command of the report and the first releases working.
"""

import sys

from keras_animegan.train.upscaler import main

if __name__ == "__main__":
    sys.exit(main())

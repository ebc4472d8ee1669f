"""`python -m train.cyclegan` from a clone of the repository: the same as `keras-animegan train cyclegan`.

The trainer lives in `keras_animegan.train.cyclegan`; this shim keeps the
command of the report and the first releases working.
"""

import sys

from keras_animegan.train.cyclegan import main

if __name__ == "__main__":
    sys.exit(main())

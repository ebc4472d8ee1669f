"""`python -m train.cartoongan` from a clone of the repository: the same as `keras-animegan train cartoongan`.

The trainer lives in `keras_animegan.train.cartoongan`; this shim keeps the
command of the report and the first releases working.
"""

import sys

from keras_animegan.train.cartoongan import main

if __name__ == "__main__":
    sys.exit(main())

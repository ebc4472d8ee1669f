"""`python -m train.dcgan` from a clone of the repository: the same as `keras-animegan train dcgan`.

The trainer lives in `keras_animegan.train.dcgan`; this shim keeps the
command of the report and the first releases working.
"""

import sys

from keras_animegan.train.dcgan import main

if __name__ == "__main__":
    sys.exit(main())

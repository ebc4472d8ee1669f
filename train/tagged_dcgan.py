"""`python -m train.tagged_dcgan` from a clone of the repository: the same as `keras-animegan train tagged_dcgan`.

The trainer lives in `keras_animegan.train.tagged_dcgan`.
"""

import sys

from keras_animegan.train.tagged_dcgan import main

if __name__ == "__main__":
    sys.exit(main())

"""`python -m keras_animegan ...` is the `keras-animegan` command."""

import sys

from keras_animegan.cli import main

sys.exit(main())

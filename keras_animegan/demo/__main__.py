"""`python -m keras_animegan.demo`: the web demo (see `keras_animegan.demo`)."""

import sys

from keras_animegan.demo.cli import main

sys.exit(main())

"""``python -m dechaff``: the same command line as the ``dechaff`` script."""

import sys

from .cli import main

sys.exit(main())

"""``python -m crowdtut``: the ``crowdtut`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())

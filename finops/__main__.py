"""``python -m finops``: the same as the ``finops`` command."""

import sys

from finops.cli import main

sys.exit(main())

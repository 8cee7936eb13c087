"""``python -m finops.bench ...``: the benchmarks (``--help`` lists the cases)."""

from __future__ import annotations

import sys

from finops.bench import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The fault matrix (``make chaos``): the collection under injected faults, one row per fault.

Each row says what was injected, the outcome (completed, retried and completed, or failed cleanly
with its message), rows lost and duplicated against the simulator, and whether the warehouse totals
equal the simulator's exactly afterwards. The fast faults also run in ``make test``
(tests/integration/test_chaos.py); docs/reliability.md records the table.
"""

from __future__ import annotations

"""FOCUS 1.2 export of the warehouse's AI costs: mapping, writers, conformance check, atomic publishing.

``export_month`` writes one billing month per provider to ``DEST/billing_period=YYYY-MM/provider=P/``;
``check_published`` checks files already written. See docs/focus.md.
"""

from __future__ import annotations

from finops.export.months import Month, months_touched
from finops.export.runner import ExportResult, check_published, export_month

__all__ = ["ExportResult", "Month", "check_published", "export_month", "months_touched"]

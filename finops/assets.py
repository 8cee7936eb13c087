"""The Asset every successful collection updates; downstream DAGs (alerts, exports) schedule on it."""

from __future__ import annotations

from airflow.sdk import Asset

#: Emitted by each collection DAG's ``publish_costs`` task after its gates pass. The event's extra:
#: ``provider``, ``window_start``, ``window_end`` (ISO dates, end exclusive), ``teams`` (collected team ids),
#: ``rows`` and ``amount_total`` (exact decimal as a string; the sum over the collected teams' windows).
COST_DATA = Asset(name="finops.cost_data", group="finops")

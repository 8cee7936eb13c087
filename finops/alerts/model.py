"""An alert as code sees it: what fired (kind, team, provider, scope, period), the figures and the message."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

#: Kinds recorded today; later issues add theirs (budget thresholds, anomalies).
COLLECTION_FAILED = "collection_failed"
COLLECTION_RECOVERED = "collection_recovered"
COLLECTION_LATE = "collection_late"
RUN_FAILED = "run_failed"


@dataclass(frozen=True)
class Alert:
    """One alert to record; (kind, team_id, provider, scope, period, threshold) makes it fire once."""

    kind: str
    message: str
    team_id: str | None = None
    provider: str | None = None
    scope: str = ""
    period: str = ""
    threshold: Decimal | None = None
    value: Decimal | None = None
    baseline: Decimal | None = None
    budget: Decimal | None = None
    #: Facts for the channels' JSON body (teams, reasons, run id); never a secret.
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredAlert(Alert):
    """An alert read back from ``finops.alerts`` for delivery."""

    alert_id: int = 0
    created_at: datetime | None = None
    #: Channels that already delivered it (a retry skips them).
    channels: tuple[str, ...] = ()
    attempts: int = 0

    def payload(self) -> dict[str, Any]:
        """The JSON body a webhook receives: the details, then the alert's own fields (which win)."""
        def text(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            **self.details,
            "text": self.message, "alert_id": self.alert_id, "kind": self.kind, "team_id": self.team_id,
            "provider": self.provider, "scope": self.scope, "period": self.period,
            "threshold": text(self.threshold), "value": text(self.value), "baseline": text(self.baseline),
            "budget": text(self.budget), "created_at": self.created_at.isoformat() if self.created_at else None,
        }

    def subject(self) -> str:
        """A one-line title (e-mail subject)."""
        who = " ".join(p for p in (self.provider, self.team_id) if p)
        return f"FinOps {self.kind.replace('_', ' ')}{': ' + who if who else ''}"

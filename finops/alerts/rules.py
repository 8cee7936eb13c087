"""The alert rules, from the Airflow variables (``finops_lookback_days``, ``finops_anomaly_*``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from finops.alerts.anomalies import DEFAULT_FACTOR, DEFAULT_MIN_AMOUNT, AnomalyRule
from finops.alerts.forecast import DEFAULT_METHOD
from finops.errors import ConfigurationError

DEFAULT_LOOKBACK_DAYS = 2
VARIABLES = {
    "finops_lookback_days": str(DEFAULT_LOOKBACK_DAYS),
    "finops_anomaly_factor": str(DEFAULT_FACTOR),
    "finops_anomaly_min_amount": str(DEFAULT_MIN_AMOUNT),
    "finops_anomaly_provisional": "false",
}
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off", ""}


@dataclass(frozen=True, slots=True)
class AlertRules:
    """What counts as settled, as a spike, and how forecasts are made."""

    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    anomaly: AnomalyRule = field(default_factory=AnomalyRule)
    anomaly_provisional: bool = False
    forecast_method: str = DEFAULT_METHOD

    @classmethod
    def from_variables(cls, get: Callable[[str, Any], Any]) -> AlertRules:
        """Read the variables through ``get(name, default)`` (``finops.lookup.get_variable`` in a task)."""
        value = {name: str(get(name, default)).strip() for name, default in VARIABLES.items()}
        try:
            lookback = int(value["finops_lookback_days"])
            factor = Decimal(value["finops_anomaly_factor"])
            min_amount = Decimal(value["finops_anomaly_min_amount"])
        except (ValueError, InvalidOperation):
            lookback, factor, min_amount = -1, Decimal(0), Decimal(-1)
        if lookback < 0 or not factor.is_finite() or factor <= 1 or not min_amount.is_finite() or min_amount < 0:
            raise ConfigurationError(
                "The variables finops_lookback_days (a whole number, 0 or more), finops_anomaly_factor (a number "
                "above 1) and finops_anomaly_min_amount (an amount, 0 or more) must be numbers in range (got "
                f"{value['finops_lookback_days']!r}, {value['finops_anomaly_factor']!r}, "
                f"{value['finops_anomaly_min_amount']!r}); fix them in Admin > Variables."
            )
        flag = value["finops_anomaly_provisional"].lower()
        if flag not in _TRUE | _FALSE:
            raise ConfigurationError(
                f"The variable finops_anomaly_provisional is true or false (got {flag[:20]!r}); fix it in Admin > Variables."
            )
        return cls(lookback_days=lookback, anomaly=AnomalyRule(factor=factor, min_amount=min_amount),
                   anomaly_provisional=flag in _TRUE)

"""Runs one form's registry operation and turns its outcome into a redirect with a message."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from finops.errors import FinopsError
from finops.web.flash import Flash, redirect, scrub
from finops.web.overview import get_registry

log = logging.getLogger(__name__)

RegistryDep = Annotated[Any, Depends(get_registry)]

UNEXPECTED = "The change failed unexpectedly; nothing was changed, and the API server log has the details."


def perform(request: Request, form: str, team_id: str | None, values: dict[str, str],
            operation: Callable[[], Flash | str]) -> RedirectResponse:
    """Run ``operation``; a registry error becomes a one-sentence message next to ``form`` with ``values`` kept."""
    try:
        outcome = operation()
    except FinopsError as exc:
        return redirect(request, Flash(kind="error", message=str(exc), form=form, team_id=team_id, values=values))
    except Exception as exc:  # shown as one sentence; the scrubbed traceback goes to the log
        log.error("FinOps %s failed: %s", form, scrub("".join(traceback.format_exception(exc))))
        return redirect(request, Flash(kind="error", message=UNEXPECTED, form=form, team_id=team_id, values=values))
    if isinstance(outcome, str):
        outcome = Flash(kind="ok", message=outcome, team_id=team_id)
    return redirect(request, outcome)


def checked(value: str) -> bool:
    """Whether an HTML checkbox was ticked."""
    return value.lower() in ("on", "true", "1", "yes")


def require_confirmation(confirm: str, what: str) -> None:
    """Destructive forms carry a confirmation checkbox the server checks (no JavaScript dialog)."""
    if not checked(confirm):
        from finops.errors import UsageError

        raise UsageError(f"Tick the confirmation box to {what}.")

"""Admin keys: register or rotate (verified live by default), revoke, and the key history as JSON.

The submitted key goes straight to the registry, which checks, verifies, encrypts and audits it;
it is never echoed back, kept in a message, or logged.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from finops.web.actions import RegistryDep, checked, perform, require_confirmation
from finops.web.csrf import CsrfDep
from finops.web.datamodels import KeyHistory
from finops.web.flash import Flash
from finops.web.overview import key_view
from finops.web.security import ManagerDep, ViewerDep

keys_router = APIRouter(tags=["FinOps admin keys"])


@keys_router.get("/api/teams/{team_id}/keys")
def key_history(team_id: str, access: ViewerDep, registry: RegistryDep) -> KeyHistory:
    """A team's Admin keys (redacted), newest first."""
    registry.team(team_id)
    return KeyHistory(team_id=team_id, keys=[key_view(k) for k in registry.key_history(team_id)])


@keys_router.post("/teams/{team_id}/key", dependencies=[CsrfDep], response_class=RedirectResponse, status_code=303)
def register_key(
    request: Request,
    team_id: str,
    access: ManagerDep,
    registry: RegistryDep,
    admin_key: Annotated[str, Form()] = "",
    skip_verify: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Register the team's Admin key, rotating the active one if there is one."""
    verify = not checked(skip_verify)
    submitted = [admin_key]
    del admin_key

    def operation() -> Flash:
        registration = registry.register_key(team_id, submitted.pop(), access.actor, verify=verify)
        key = registration.key
        how = "verified live" if registration.verified else "not verified (live check skipped)"
        if registration.rotated:
            message = (f"Admin key {key.redacted} ({key.fingerprint}) is now active for team {team_id}, {how}; "
                       f"it replaces {registration.rotated.redacted}.")
        else:
            message = f"Admin key {key.redacted} ({key.fingerprint}) is registered for team {team_id}, {how}."
        return Flash(kind="ok", message=message, team_id=team_id)

    # Only the checkbox is kept on error: the key field is always empty again.
    return perform(request, "key", team_id, {"skip_verify": "on" if not verify else ""}, operation)


@keys_router.post("/teams/{team_id}/key/revoke", dependencies=[CsrfDep], response_class=RedirectResponse,
                  status_code=303)
def revoke_key(
    request: Request,
    team_id: str,
    access: ManagerDep,
    registry: RegistryDep,
    confirm: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Revoke the team's active key: its ciphertext is deleted and collection stops until a new key."""

    def operation() -> Flash:
        require_confirmation(confirm, f"revoke the Admin key of team {team_id}")
        revoked = registry.revoke_key(team_id, access.actor)
        return Flash(kind="ok", team_id=team_id,
                     message=f"Admin key {revoked.redacted} of team {team_id} is revoked; collection for the team "
                             "stops until a new key is registered.")

    return perform(request, "revoke", team_id, {}, operation)

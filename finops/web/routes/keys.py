"""Admin keys per provider: register or rotate (verified live by default), revoke, and the key history as JSON.

The submitted key goes straight to the registry, which checks, verifies, encrypts and audits it;
it is never echoed back, kept in a message, or logged.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from finops.providers import OPENAI, PROVIDERS, provider
from finops.web.actions import RegistryDep, checked, perform, require_confirmation
from finops.web.csrf import CsrfDep
from finops.web.datamodels import KeyHistory
from finops.web.flash import Flash
from finops.web.overview import key_view
from finops.web.security import ManagerDep, ViewerDep

keys_router = APIRouter(tags=["FinOps admin keys"])
PROVIDER_NAMES = frozenset(PROVIDERS)


def form_name(form: str, provider: str) -> str:
    """The flash's form name: OpenAI's forms keep their names, another provider's carry it (``key:anthropic``)."""
    return form if provider == OPENAI else f"{form}:{provider}"


def provider_name(value: str) -> str:
    """The submitted provider, checked (an unknown one is a one-sentence usage error)."""
    return provider(value or OPENAI).name


@keys_router.get("/api/teams/{team_id}/keys")
def key_history(team_id: str, access: ViewerDep, registry: RegistryDep, provider: str | None = None) -> KeyHistory:
    """A team's Admin keys (redacted) of every provider, or of ``provider``, newest first."""
    registry.team(team_id)
    chosen = provider_name(provider) if provider else None
    return KeyHistory(team_id=team_id, keys=[key_view(k) for k in registry.key_history(team_id, chosen)])


@keys_router.post("/teams/{team_id}/key", dependencies=[CsrfDep], response_class=RedirectResponse, status_code=303)
def register_key(
    request: Request,
    team_id: str,
    access: ManagerDep,
    registry: RegistryDep,
    admin_key: Annotated[str, Form()] = "",
    skip_verify: Annotated[str, Form()] = "",
    provider: Annotated[str, Form()] = OPENAI,
) -> RedirectResponse:
    """Register the team's Admin key for a provider, rotating that provider's active one if there is one."""
    verify = not checked(skip_verify)
    submitted = [admin_key]
    del admin_key
    chosen = provider if provider in PROVIDER_NAMES else OPENAI

    def operation() -> Flash:
        name = provider_name(provider)
        registration = registry.register_key(team_id, submitted.pop(), access.actor, verify=verify, provider=name)
        key = registration.key
        label = "Admin key" if name == OPENAI else f"{PROVIDERS[name].label} Admin key"
        how = "verified live" if registration.verified else "not verified (live check skipped)"
        if registration.rotated:
            message = (f"{label} {key.redacted} ({key.fingerprint}) is now active for team {team_id}, {how}; "
                       f"it replaces {registration.rotated.redacted}.")
        else:
            message = f"{label} {key.redacted} ({key.fingerprint}) is registered for team {team_id}, {how}."
        return Flash(kind="ok", message=message, team_id=team_id)

    # Only the checkbox is kept on error: the key field is always empty again.
    return perform(request, form_name("key", chosen), team_id, {"skip_verify": "on" if not verify else ""}, operation)


@keys_router.post("/teams/{team_id}/key/revoke", dependencies=[CsrfDep], response_class=RedirectResponse,
                  status_code=303)
def revoke_key(
    request: Request,
    team_id: str,
    access: ManagerDep,
    registry: RegistryDep,
    confirm: Annotated[str, Form()] = "",
    provider: Annotated[str, Form()] = OPENAI,
) -> RedirectResponse:
    """Revoke the team's active key of a provider: its ciphertext is deleted and that provider's collection stops."""
    chosen = provider if provider in PROVIDER_NAMES else OPENAI

    def operation() -> Flash:
        name = provider_name(provider)
        label = "Admin key" if name == OPENAI else f"{PROVIDERS[name].label} Admin key"
        require_confirmation(confirm, f"revoke the {label} of team {team_id}")
        revoked = registry.revoke_key(team_id, access.actor, provider=name)
        scope = "the team" if name == OPENAI else f"the team's {PROVIDERS[name].label} costs"
        return Flash(kind="ok", team_id=team_id,
                     message=f"{label} {revoked.redacted} of team {team_id} is revoked; collection for {scope} "
                             "stops until a new key is registered.")

    return perform(request, form_name("revoke", chosen), team_id, {}, operation)

"""Cost API failures, one type per thing a user can act on, for every provider; messages never contain the key.

The types are shared by the providers (a revoked key is :class:`AdminKeyRejected` whether OpenAI or
Anthropic said so); each message names the provider and says what to do there.
"""

from __future__ import annotations

from finops.errors import FinopsError
from finops.providers import ANTHROPIC, OPENAI, PROVIDERS


def _register_command(provider: str) -> str:
    return "`finops keys register TEAM_ID" + ("`" if provider == OPENAI else f" --provider {provider}`")


class CostsApiError(FinopsError):
    """Base of every cost API client error."""

    def __init__(self, message: str, *, status: int | None = None, provider: str = OPENAI) -> None:
        super().__init__(message)
        self.status = status
        self.provider = provider


class AdminKeyRejected(CostsApiError):
    """401: the Admin key is revoked, deleted or wrong."""

    def __init__(self, detail: str = "", *, provider: str = OPENAI) -> None:
        label = PROVIDERS[provider].label
        super().__init__(
            f"The {label} API rejected the Admin key (HTTP 401: revoked, deleted or mistyped"
            f"{': ' + detail if detail else ''}); create a new Admin key and re-register it with "
            f"{_register_command(provider)}.",
            status=401, provider=provider,
        )


class AdminKeyLacksScope(CostsApiError):
    """403: the key is valid but may not read the organization's usage and costs."""

    def __init__(self, detail: str = "", *, provider: str = OPENAI) -> None:
        if provider == ANTHROPIC:
            message = (
                "The Anthropic API refused the key on an admin endpoint (HTTP 403, a normal API key or a key "
                f"without admin permission{': ' + detail if detail else ''}); create an Admin key (sk-ant-admin...) "
                f"under Settings > Admin keys in the Anthropic Console and register it with {_register_command(provider)}."
            )
        else:
            message = (
                "The key lacks the api.usage.read (organization admin) permission (HTTP 403"
                f"{': ' + detail if detail else ''}); create an Admin key under Organization settings > "
                f"Admin keys in the OpenAI dashboard and register it with {_register_command(provider)}."
            )
        super().__init__(message, status=403, provider=provider)


class CostsApiBadRequest(CostsApiError):
    """400: the API rejected a parameter; ``param`` names it when the API does."""

    def __init__(self, param: str | None, detail: str = "", *, provider: str = OPENAI) -> None:
        self.param = param
        what = f"the parameter `{param}`" if param else "the request"
        noun = "project ID" if provider == OPENAI else "workspace"
        super().__init__(
            f"The {PROVIDERS[provider].label} API rejected {what} (HTTP 400{': ' + detail if detail else ''}); "
            f"correct it (a window, limit or {noun} the API does not accept) and run again.",
            status=400, provider=provider,
        )


class OpenAIProjectNotFound(CostsApiError):
    """404 from the project endpoint: the ID is not a project of the key's organization."""

    def __init__(self, project_id: str) -> None:
        self.project_id = project_id
        super().__init__(
            f"The OpenAI project `{project_id}` does not exist in the Admin key's organization (HTTP 404); "
            "check the project ID or register the key of the organization that owns it.",
            status=404,
        )


class AnthropicWorkspaceNotFound(CostsApiError):
    """The workspace ID is not among the workspaces of the Admin key's organization."""

    def __init__(self, workspace_id: str) -> None:
        self.workspace_id = workspace_id
        super().__init__(
            f"The Anthropic workspace `{workspace_id}` is not a workspace of the Admin key's organization (archived "
            "ones included); check the ID under Settings > Workspaces or register the key of the organization that owns it.",
            status=404, provider=ANTHROPIC,
        )


class CostsApiUnavailable(CostsApiError):
    """Throttling, overload, 5xx or a lost connection still failing after the client's retries."""

    retryable = True

    def __init__(self, what: str, attempts: int, elapsed: float, status: int | None = None, *,
                 provider: str = OPENAI) -> None:
        spec = PROVIDERS[provider]
        super().__init__(
            f"The {spec.label} API is unavailable ({what} after {attempts} attempt{'s' * (attempts != 1)} "
            f"over {elapsed:.1f} s); the task will retry later, and if it persists check "
            f"{spec.status_page} and the `{spec.conn_id}` connection.",
            status=status, provider=provider,
        )


class CostsApiResponseError(CostsApiError):
    """A response that breaks the contract: not JSON, an HTML page, truncated, wrong shape."""


class RedirectRefused(CostsApiResponseError):
    """A redirect to another origin than the connection's: refused unsent, so the Admin key stays on its host."""

    def __init__(self, *, what: str, status: int, target: str, home: str, conn_id: str, provider: str = OPENAI) -> None:
        self.target = target
        super().__init__(
            f"The {PROVIDERS[provider].label} API at {home} redirected {what} to another host, {target} (HTTP "
            f"{status}); the Admin key was not sent there. Fix the `{conn_id}` connection's host: set it to the "
            f"API's own base URL ({PROVIDERS[provider].default_base_url}) or the gateway that answers there.",
            status=status, provider=provider,
        )


class IncompleteJsonBody(CostsApiResponseError):
    """A 2xx JSON body that stops before its document ends: cut on the way (a proxy, a dropped connection).

    The client retries it like a 5xx; an HTML page or any other non-JSON body stays permanent.
    ``received`` describes the body (status, content type, its first characters), for the final message.
    """

    def __init__(self, message: str, *, received: str, status: int | None = None, provider: str = OPENAI) -> None:
        super().__init__(message, status=status, provider=provider)
        self.received = received


class PaginationError(CostsApiResponseError):
    """The API's cursors would loop: a repeated cursor, or more pages promised without one."""

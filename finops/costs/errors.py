"""Costs API failures, one type per thing a user can act on; messages never contain the key."""

from __future__ import annotations

from finops.errors import FinopsError


class CostsApiError(FinopsError):
    """Base of every Costs API client error."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AdminKeyRejected(CostsApiError):
    """401: the Admin key is revoked, deleted or wrong."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "The OpenAI API rejected the Admin key (HTTP 401: revoked, deleted or mistyped"
            f"{': ' + detail if detail else ''}); create a new Admin key and re-register it with "
            "`finops keys register TEAM_ID`.",
            status=401,
        )


class AdminKeyLacksScope(CostsApiError):
    """403: the key is valid but may not read the organization's usage and costs."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "The key lacks the api.usage.read (organization admin) permission (HTTP 403"
            f"{': ' + detail if detail else ''}); create an Admin key under Organization settings > "
            "Admin keys in the OpenAI dashboard and register it with `finops keys register TEAM_ID`.",
            status=403,
        )


class CostsApiBadRequest(CostsApiError):
    """400: the API rejected a parameter; ``param`` names it when the API does."""

    def __init__(self, param: str | None, detail: str = "") -> None:
        self.param = param
        what = f"the parameter `{param}`" if param else "the request"
        super().__init__(
            f"The OpenAI API rejected {what} (HTTP 400{': ' + detail if detail else ''}); "
            "correct it (a window, limit or project ID the API does not accept) and run again.",
            status=400,
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


class CostsApiUnavailable(CostsApiError):
    """Throttling, 5xx or a lost connection still failing after the client's retries."""

    retryable = True

    def __init__(self, what: str, attempts: int, elapsed: float, status: int | None = None) -> None:
        super().__init__(
            f"The OpenAI API is unavailable ({what} after {attempts} attempt{'s' * (attempts != 1)} "
            f"over {elapsed:.1f} s); the task will retry later, and if it persists check "
            "https://status.openai.com and the `openai_api` connection.",
            status=status,
        )


class CostsApiResponseError(CostsApiError):
    """A response that breaks the contract: not JSON, an HTML page, truncated, wrong shape."""


class PaginationError(CostsApiResponseError):
    """The API's cursors would loop: a repeated cursor, or more pages promised without one."""

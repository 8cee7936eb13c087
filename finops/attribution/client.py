"""Reading a team's API keys on the cost clients' core (same connection, retries, errors, redirects refused).

OpenAI: ``GET /v1/organization/projects/{project_id}/api_keys`` per registered project (``after`` cursor).
Anthropic: ``GET /v1/organizations/api_keys`` for the organization (``after_id`` cursor), kept per registered
workspace (``default`` for a null ``workspace_id``). Nothing here keeps the Admin key beyond passing it on.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from finops.attribution.models import ApiKey, redacted_form
from finops.costs.errors import CostsApiResponseError
from finops.costs.http import ApiClient, RequestStats
from finops.costs.pagination import CursorPaginator

PAGE_LIMIT = 100


def _moment(value: Any) -> datetime | None:
    """A Unix time or an RFC 3339 string as an aware UTC datetime (None for anything else)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)) or (hasattr(value, "is_finite") and value.is_finite()):
        return datetime.fromtimestamp(int(value), UTC)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            return None
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def openai_key(obj: dict, project_id: str) -> ApiKey:
    """One ``organization.project.api_key`` object."""
    owner = obj.get("owner") if isinstance(obj.get("owner"), dict) else {}
    kind = _text(owner.get("type"))
    person = owner.get(kind) if kind and isinstance(owner.get(kind), dict) else {}
    return ApiKey(api_key_id=obj["id"], project_id=project_id, name=_text(obj.get("name")),
                  redacted_value=redacted_form(obj.get("redacted_value")), owner_type=kind,
                  owner_id=_text(person.get("id")), owner_name=_text(person.get("name")),
                  owner_email=_text(person.get("email")), status="active",
                  created_at=_moment(obj.get("created_at")), last_used_at=_moment(obj.get("last_used_at")))


def anthropic_key(obj: dict) -> ApiKey:
    """One Anthropic ``api_key`` object (the creator is the owner; no name or email is served for them)."""
    creator = obj.get("created_by") if isinstance(obj.get("created_by"), dict) else {}
    status = obj.get("status") if obj.get("status") in ("active", "inactive", "archived") else "active"
    return ApiKey(api_key_id=obj["id"], project_id=_text(obj.get("workspace_id")) or "default",
                  name=_text(obj.get("name")), redacted_value=redacted_form(obj.get("partial_key_hint")),
                  owner_type=_text(creator.get("type")), owner_id=_text(creator.get("id")), owner_name=None,
                  owner_email=None, status=status, created_at=_moment(obj.get("created_at")), last_used_at=None)


def _list(client: ApiClient, key: str, path: str, params: list[tuple[str, str]], *, cursor_param: str,
          what: str, stats: RequestStats) -> Iterator[dict]:
    """Every object of a list endpoint, following ``last_id`` while ``has_more``."""
    paginator = CursorPaginator(source=f"The {what}", cursor_field="last_id")
    while paginator.has_next_page:
        query = params + ([(cursor_param, paginator.cursor)] if paginator.cursor else [])
        response = client.get(key, path, query, stats=stats, what=f"the {what} page {paginator.pages + 1}")
        body = client.json(response, what=f"the {what}")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) or not all(isinstance(o, dict) and isinstance(o.get("id"), str) for o in data):
            raise CostsApiResponseError(
                f"The {what} sent no `data` list of keys with ids; check that the `{client.conn_id}` connection "
                "points at the provider's API and report the API change if it does."
            )
        last = body.get("last_id") or (data[-1]["id"] if data else None)
        paginator.update(bool(body.get("has_more")), last)
        yield from data


def openai_keys(client: ApiClient, api_key: str, project_ids: Sequence[str],
                stats: RequestStats | None = None) -> list[ApiKey]:
    """The API keys of each registered project."""
    key = client.check_key(api_key)
    stats = stats or RequestStats()
    keys = []
    for project_id in dict.fromkeys(project_ids):
        for obj in _list(client, key, f"/v1/organization/projects/{project_id}/api_keys",
                         [("limit", str(PAGE_LIMIT))], cursor_param="after",
                         what=f"API key list of project {project_id}", stats=stats):
            keys.append(openai_key(obj, project_id))
    return keys


def anthropic_keys(client: ApiClient, api_key: str, workspace_ids: Sequence[str],
                   stats: RequestStats | None = None) -> list[ApiKey]:
    """The organization's API keys of the registered workspaces (``default`` included)."""
    key = client.check_key(api_key)
    wanted = set(workspace_ids)
    keys = [anthropic_key(o) for o in _list(client, key, "/v1/organizations/api_keys", [("limit", str(PAGE_LIMIT))],
                                            cursor_param="after_id", what="Anthropic API key list",
                                            stats=stats or RequestStats())]
    return [k for k in keys if k.project_id in wanted]


def fetch_keys(provider: str, client: ApiClient, api_key: str, scope_ids: Sequence[str],
               stats: RequestStats | None = None) -> list[ApiKey]:
    """The team's keys of ``provider`` in its registered scopes."""
    if provider == "anthropic":
        return anthropic_keys(client, api_key, scope_ids, stats)
    return openai_keys(client, api_key, scope_ids, stats)

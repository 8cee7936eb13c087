"""Keeping a team's key list in ``finops.api_keys`` with its history, in the collection's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from finops import paths
from finops.attribution.models import ApiKey

if TYPE_CHECKING:
    import psycopg

#: Fields whose change is recorded in ``finops.api_key_changes``.
TRACKED = ("project_id", "name", "redacted_value", "owner_type", "owner_id", "owner_name", "owner_email", "status")


@dataclass(slots=True)
class KeysLoad:
    """A team's key list of one provider, fetched before the load and written in its transaction."""

    keys: Sequence[ApiKey]
    scope_ids: Sequence[str]

    def load(self, conn: psycopg.Connection, params: dict) -> int:
        """Upsert the listed keys, record what changed, mark keys no longer listed deleted; returns the changes."""
        seen_at = datetime.now(UTC)
        base = {"provider": params["provider"], "team_id": params["team_id"], "seen_at": seen_at}
        known = {r[0]: dict(zip(("api_key_id", *TRACKED), r, strict=True))
                 for r in conn.execute(paths.sql("attribution/keys_of_team"), base).fetchall()}
        changes = []
        for key in self.keys:
            old = known.get(key.api_key_id)
            if old is None:
                continue
            new = asdict(key)
            for field in TRACKED:
                if new[field] is not None and new[field] != old[field]:
                    changes.append({**base, "api_key_id": key.api_key_id, "field": field,
                                    "old_value": old[field], "new_value": new[field]})
        listed = [k.api_key_id for k in self.keys]
        gone = [k for k, old in known.items() if k not in listed and old["project_id"] in self.scope_ids
                and old["status"] != "deleted"]
        changes += [{**base, "api_key_id": k, "field": "status", "old_value": known[k]["status"],
                     "new_value": "deleted"} for k in gone]
        with conn.cursor() as cur:
            if self.keys:
                cur.executemany(paths.sql("attribution/key_upsert"), [{**base, **asdict(k)} for k in self.keys])
            cur.execute(paths.sql("attribution/key_mark_deleted"),
                        {**base, "scope_ids": list(self.scope_ids), "listed": listed})
            if changes:
                cur.executemany(paths.sql("attribution/key_change_insert"), changes)
        return len(changes)

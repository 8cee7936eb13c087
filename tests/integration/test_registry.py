"""The registry against the real PostgreSQL and moto's KMS over HTTP."""

from __future__ import annotations

import json
import os
import secrets

import psycopg
import pytest

from finops.hooks.kms import KmsHook, KmsUnavailable, StoredKeyUnreadable, admin_key_context
from finops.registry import Registry
from finops.registry.errors import (
    InvalidAdminKey,
    InvalidProjectId,
    InvalidTeamId,
    NoActiveKey,
    ProjectAlreadyRegistered,
    TeamNotFound,
)

ACTOR = "cli:tester"


def new_key() -> str:
    return "sk-admin-" + secrets.token_urlsafe(48)


@pytest.fixture
def registry(db, kms_endpoint):
    return Registry()


def all_table_text(db) -> str:
    """Every value of every finops table as text, for searching keys."""
    chunks = []
    tables = [r[0] for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'finops'")]
    for name in tables:
        for row in db.execute(f"SELECT t::text FROM finops.{name} t"):  # noqa: S608 - names from the catalog
            chunks.append(row[0])
        for row in db.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'finops' AND table_name = %s AND data_type = 'bytea'", (name,)
        ):
            for blob in db.execute(f"SELECT {row[0]} FROM finops.{name} WHERE {row[0]} IS NOT NULL"):  # noqa: S608
                chunks.append(bytes(blob[0]).decode("latin-1"))
    return "\n".join(chunks)


def test_register_rotate_revoke_round_trip(registry, db):
    registry.add_team("growth", ACTOR, name="Growth team")
    first, second = new_key(), new_key()
    reg = registry.register_key("growth", first + "\n", ACTOR, verify=False)
    assert reg.rotated is None
    assert reg.key.redacted == "sk-admin..." + first[-4:]
    assert reg.key.fingerprint.startswith("sha256:")
    assert registry.decrypt_key("growth") == first

    rot = registry.register_key("growth", second, ACTOR, verify=False)
    assert rot.rotated is not None and rot.rotated.fingerprint == reg.key.fingerprint
    assert registry.decrypt_key("growth") == second
    statuses = [(k.status, k.fingerprint) for k in registry.key_history("growth")]
    assert statuses == [("active", rot.key.fingerprint), ("rotated", reg.key.fingerprint)]

    revoked = registry.revoke_key("growth", ACTOR)
    assert revoked.status == "revoked" and revoked.revoked_by == ACTOR
    with pytest.raises(NoActiveKey, match="register one"):
        registry.decrypt_key("growth")
    assert db.execute("SELECT count(*) FROM finops.admin_keys WHERE ciphertext IS NOT NULL").fetchone()[0] == 0

    actions = [e.action for e in reversed(registry.audit("growth"))]
    assert actions == ["team.add", "key.register", "key.rotate", "key.revoke"]
    text = all_table_text(db)
    assert first not in text and second not in text


def test_histories_and_audit_of_many_teams_in_one_query_each(registry):
    for team in ("a", "b", "c"):
        registry.add_team(team, ACTOR)
    for _ in range(3):
        registry.register_key("a", new_key(), ACTOR, verify=False)
    registry.register_key("b", new_key(), ACTOR, verify=False)
    registry.deactivate_team("b", ACTOR)

    histories = registry.key_histories(["a", "b", "c"])
    assert histories == {team: registry.key_history(team) for team in ("a", "b", "c")}
    assert [k.status for k in histories["a"]] == ["active", "rotated", "rotated"] and histories["c"] == []
    audit = registry.recent_audit(["a", "b", "c"], limit=2)
    assert audit == {team: registry.audit(team, limit=2) for team in ("a", "b", "c")}
    assert [e.action for e in audit["b"]] == ["team.deactivate", "key.register"] and len(audit["c"]) == 1
    assert registry.key_histories([]) == {} and registry.recent_audit([], limit=5) == {}


def test_same_key_twice_has_same_fingerprint(registry):
    registry.add_team("a", ACTOR)
    key = new_key()
    one = registry.register_key("a", key, ACTOR, verify=False).key.fingerprint
    two = registry.register_key("a", key, ACTOR, verify=False).key.fingerprint
    assert one == two


def test_ciphertext_is_not_the_key_and_is_bound_to_its_team(registry, db):
    registry.add_team("alpha", ACTOR)
    registry.add_team("beta", ACTOR)
    key_a, key_b = new_key(), new_key()
    registry.register_key("alpha", key_a, ACTOR, verify=False)
    registry.register_key("beta", key_b, ACTOR, verify=False)
    blob = bytes(db.execute("SELECT ciphertext FROM finops.admin_keys WHERE team_id = 'alpha'").fetchone()[0])
    assert key_a.encode() not in blob and key_a[9:].encode() not in blob
    # An attacker with write access to the table copies alpha's ciphertext onto beta's row.
    db.execute("UPDATE finops.admin_keys SET ciphertext = %s WHERE team_id = 'beta' AND status = 'active'", (blob,))
    with pytest.raises(StoredKeyUnreadable) as excinfo:
        registry.decrypt_key("beta")
    message = str(excinfo.value)
    assert "team beta cannot be decrypted" in message and "register it again" in message
    assert key_a not in message and key_b not in message
    # and the context really is what binds it: alpha's context decrypts the same blob
    assert KmsHook().decrypt(blob, admin_key_context("alpha")) == key_a


def test_failed_registration_keeps_previous_key(registry, db, kms_endpoint):
    registry.add_team("growth", ACTOR)
    old = new_key()
    registry.register_key("growth", old, ACTOR, verify=False)
    # A KMS endpoint that refuses connections: nothing is half-written.
    saved = os.environ["AIRFLOW_CONN_AWS_KMS"]
    os.environ["AIRFLOW_CONN_AWS_KMS"] = json.dumps({
        "conn_type": "aws", "login": "testing", "password": "testing",
        "extra": {"region_name": "us-east-1", "endpoint_url": "http://127.0.0.1:9", "config_kwargs": {"retries": {"max_attempts": 1}, "connect_timeout": 1}},
    })
    try:
        with pytest.raises(KmsUnavailable, match="could not be reached"):
            Registry().register_key("growth", new_key(), ACTOR, verify=False)
    finally:
        os.environ["AIRFLOW_CONN_AWS_KMS"] = saved
    assert registry.decrypt_key("growth") == old
    assert [k.status for k in registry.key_history("growth")] == ["active"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "No Admin key was given"),
        ("\n", "No Admin key was given"),
        ("sk-admin-" + "a" * 20 + "\n" + "b" * 20, "whitespace inside"),
        (" sk-admin-" + "a" * 30, "whitespace around"),
        ("sk-proj-" + "a" * 40, "project or service-account key"),
        ("hello-world-this-is-not-a-key", "starts with `sk-admin-`"),
        ("sk-admin-abc", "characters long"),
        ("sk-admin-" + "a" * 30 + "<script>", "characters other than"),
    ],
)
def test_malformed_keys_are_refused_without_echo(registry, raw, message):
    registry.add_team("growth", ACTOR)
    with pytest.raises(InvalidAdminKey, match=message) as excinfo:
        registry.register_key("growth", raw, ACTOR, verify=False)
    if raw.strip():
        assert raw.strip()[10:] not in str(excinfo.value)


def test_team_and_project_validation(registry, db):
    with pytest.raises(InvalidTeamId):
        registry.add_team("Bad Team!", ACTOR)
    with pytest.raises(TeamNotFound, match="finops teams add ghost"):
        registry.register_key("ghost", new_key(), ACTOR, verify=False)
    registry.add_team("growth", ACTOR, name="<script>alert(1)</script>'; DROP TABLE finops.teams; --")
    assert registry.team("growth").name.startswith("<script>")
    assert db.execute("SELECT count(*) FROM finops.teams").fetchone()[0] == 1
    with pytest.raises(InvalidProjectId):
        registry.add_project("growth", "project-123", ACTOR, verify=False)
    registry.add_project("growth", "proj_abc123", ACTOR, name="Search", verify=False)
    with pytest.raises(ProjectAlreadyRegistered):
        registry.add_project("growth", "proj_abc123", ACTOR, verify=False)
    registry.remove_project("growth", "proj_abc123", ACTOR)
    assert registry.projects("growth") == []
    registry.add_project("growth", "proj_abc123", ACTOR, verify=False)
    assert [p.project_id for p in registry.projects("growth")] == ["proj_abc123"]


def test_deactivate_team_hides_it_from_active_list(registry):
    registry.add_team("a", ACTOR)
    registry.add_team("b", ACTOR)
    registry.deactivate_team("b", ACTOR)
    assert [t.team_id for t in registry.teams()] == ["a"]
    assert [t.team_id for t in registry.teams(include_inactive=True)] == ["a", "b"]
    registry.add_team("b", ACTOR)
    assert [t.team_id for t in registry.teams()] == ["a", "b"]


def test_schema_rejects_second_active_key(registry, db):
    registry.add_team("a", ACTOR)
    registry.register_key("a", new_key(), ACTOR, verify=False)
    with pytest.raises(psycopg.errors.UniqueViolation):
        db.execute(
            "INSERT INTO finops.admin_keys (team_id, ciphertext, kms_key_id, redacted, fingerprint, status, created_by) "
            "VALUES ('a', 'x', 'k', 'r', 'f', 'active', 't')"
        )

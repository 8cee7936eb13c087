"""The registry with two providers, against the real PostgreSQL, moto's KMS over HTTP and the simulator."""

from __future__ import annotations

import secrets

import pytest
from simulator_fixtures import A_HEALTHY, A_OTHER, HEALTHY
from test_registry import ACTOR, all_table_text, new_key

from finops.costs import AdminKeyRejected, AnthropicWorkspaceNotFound
from finops.hooks.kms import KmsHook, StoredKeyUnreadable
from finops.registry import Registry
from finops.registry.errors import InvalidAdminKey, InvalidProjectId, NoActiveKey, ProjectNotRegistered


def new_anthropic_key() -> str:
    return "sk-ant-admin01-" + secrets.token_urlsafe(64) + "AA"


@pytest.fixture
def registry(db, kms_endpoint, simulator):
    return Registry()


def test_one_active_key_per_team_and_provider(registry, db):
    registry.add_team("growth", ACTOR)
    openai_key, first, second = new_key(), new_anthropic_key(), new_anthropic_key()
    registry.register_key("growth", openai_key, ACTOR, verify=False)
    one = registry.register_key("growth", first, ACTOR, verify=False, provider="anthropic")
    assert one.rotated is None and one.key.provider == "anthropic"
    assert one.key.redacted == "sk-ant-admin..." + first[-4:]
    two = registry.register_key("growth", second, ACTOR, verify=False, provider="anthropic")
    assert two.rotated is not None and two.rotated.fingerprint == one.key.fingerprint
    assert registry.decrypt_key("growth") == openai_key
    assert registry.decrypt_key("growth", "anthropic") == second
    assert registry.active_key("growth").provider == "openai"
    assert registry.active_key("growth", "anthropic").fingerprint == two.key.fingerprint

    registry.revoke_key("growth", ACTOR, provider="anthropic")
    with pytest.raises(NoActiveKey, match="no active Anthropic Admin key.*--provider anthropic"):
        registry.decrypt_key("growth", "anthropic")
    assert registry.decrypt_key("growth") == openai_key  # the other provider's key is untouched
    with pytest.raises(NoActiveKey, match="no active Anthropic Admin key to revoke"):
        registry.revoke_key("growth", ACTOR, provider="anthropic")

    history = [(k.provider, k.status) for k in registry.key_history("growth")]
    assert history == [("anthropic", "revoked"), ("anthropic", "rotated"), ("openai", "active")]
    assert [k.status for k in registry.key_history("growth", "openai")] == ["active"]
    audit = [(e.action, e.provider) for e in reversed(registry.audit("growth"))]
    assert audit == [("team.add", None), ("key.register", "openai"), ("key.register", "anthropic"),
                     ("key.rotate", "anthropic"), ("key.revoke", "anthropic")]
    assert registry.team_providers("growth") == ["openai", "anthropic"]
    text = all_table_text(db)
    assert first not in text and second not in text and openai_key not in text


@pytest.mark.parametrize("key,provider,message", [
    ("sk-ant-admin01-" + "a" * 40, "openai", "Anthropic Admin key, not an OpenAI one; register it with `--provider anthropic`"),
    ("sk-admin-" + "a" * 40, "anthropic", "OpenAI Admin key, not an Anthropic one"),
    ("sk-ant-api03-" + "a" * 40, "anthropic", "Anthropic API key, not an Admin key"),
    ("sk-proj-" + "a" * 40, "anthropic", "OpenAI key, not an Anthropic Admin key"),
    ("ant-admin-" + "a" * 40, "anthropic", "An Anthropic Admin key starts with `sk-ant-admin`"),
    ("sk-ant-admin01-short", "anthropic", "characters long"),
])
def test_key_format_is_checked_per_provider_without_echo(registry, key, provider, message):
    registry.add_team("growth", ACTOR)
    with pytest.raises(InvalidAdminKey) as err:
        registry.register_key("growth", key, ACTOR, verify=False, provider=provider)
    assert message in str(err.value) and key not in str(err.value)


def test_a_key_registered_before_providers_still_decrypts(registry, db):
    """A ciphertext made the way the code before this change made it: context {team_id, purpose} only."""
    registry.add_team("legacy", ACTOR)
    key = new_key()
    kms = KmsHook()
    blob = kms.encrypt(key, {"team_id": "legacy", "purpose": "openai-admin-key"})
    db.execute(
        "INSERT INTO finops.admin_keys (team_id, ciphertext, kms_key_id, redacted, fingerprint, status, created_by) "
        "VALUES ('legacy', %s, %s, 'sk-admin...xxxx', 'sha256:legacy', 'active', 'old-code')", (blob, kms.key_id))
    assert registry.decrypt_key("legacy") == key
    assert registry.active_key("legacy").provider == "openai"
    assert registry.team_providers("legacy") == ["openai"]


def test_a_ciphertext_never_decrypts_as_another_team_or_provider(registry, db):
    for team in ("alpha", "beta"):
        registry.add_team(team, ACTOR)
        registry.register_key(team, new_key(), ACTOR, verify=False)
        registry.register_key(team, new_anthropic_key(), ACTOR, verify=False, provider="anthropic")

    def blob(team: str, provider: str) -> bytes:
        return bytes(db.execute("SELECT ciphertext FROM finops.admin_keys WHERE team_id = %s AND provider = %s "
                                "AND status = 'active'", (team, provider)).fetchone()[0])

    def put(team: str, provider: str, ciphertext: bytes) -> None:
        db.execute("UPDATE finops.admin_keys SET ciphertext = %s WHERE team_id = %s AND provider = %s "
                   "AND status = 'active'", (ciphertext, team, provider))

    alpha_anthropic, alpha_openai = blob("alpha", "anthropic"), blob("alpha", "openai")
    put("alpha", "openai", alpha_anthropic)  # another provider, same team
    with pytest.raises(StoredKeyUnreadable, match="stored OpenAI key for team alpha cannot be decrypted"):
        registry.decrypt_key("alpha")
    put("alpha", "openai", alpha_openai)
    put("alpha", "anthropic", alpha_openai)  # and the other way round
    with pytest.raises(StoredKeyUnreadable, match="--provider anthropic"):
        registry.decrypt_key("alpha", "anthropic")
    put("beta", "anthropic", alpha_anthropic)  # another team, same provider
    with pytest.raises(StoredKeyUnreadable, match="team beta"):
        registry.decrypt_key("beta", "anthropic")


def test_anthropic_key_and_workspaces_are_verified_live(registry, simulator, db):
    registry.add_team("research", ACTOR)
    with pytest.raises(AdminKeyRejected, match="Anthropic API rejected"):
        registry.register_key("research", simulator.key(A_HEALTHY, "revoked"), ACTOR, provider="anthropic")
    assert registry.active_key("research", "anthropic") is None
    reg = registry.register_key("research", simulator.key(A_HEALTHY), ACTOR, provider="anthropic")
    assert reg.verified and reg.key.last_verified_at is not None

    chat = registry.add_project("research", "wrkspc_healthyChat", ACTOR, provider="anthropic")
    assert chat.project.name == "Chat" and chat.project.provider == "anthropic" and not chat.warnings
    old = registry.add_project("research", "wrkspc_healthyOld", ACTOR, provider="anthropic")
    assert old.project.archived and "archived in Anthropic" in old.warnings[0]
    default = registry.add_project("research", "default", ACTOR, provider="anthropic")
    assert default.project.name == "Default workspace"
    with pytest.raises(AnthropicWorkspaceNotFound):
        registry.add_project("research", simulator.workspace_ids(A_OTHER)[0], ACTOR, provider="anthropic")

    assert [p.project_id for p in registry.projects("research", provider="anthropic")] == [
        "default", "wrkspc_healthyChat", "wrkspc_healthyOld"]
    assert registry.projects("research") == []  # OpenAI's scopes by default
    registry.remove_project("research", "wrkspc_healthyOld", ACTOR, provider="anthropic")
    with pytest.raises(ProjectNotRegistered, match="Anthropic workspace ID wrkspc_healthyOld .*--provider anthropic"):
        registry.remove_project("research", "wrkspc_healthyOld", ACTOR, provider="anthropic")
    actions = {(e.action, e.provider, e.detail) for e in registry.audit("research")}
    assert ("project.remove", "anthropic", "wrkspc_healthyOld") in actions
    assert simulator.key(A_HEALTHY) not in all_table_text(db)


@pytest.mark.parametrize("scope,provider", [("proj_abc", "anthropic"), ("wrkspc_abc", "openai"),
                                            ("default", "openai"), ("wrkspc bad", "anthropic")])
def test_scope_ids_follow_their_providers_rule(registry, scope, provider):
    registry.add_team("growth", ACTOR)
    with pytest.raises(InvalidProjectId):
        registry.add_project("growth", scope, ACTOR, verify=False, provider=provider)


def test_openai_scopes_and_key_are_unaffected_by_anthropic_ones(registry, simulator):
    registry.add_team("both", ACTOR)
    registry.register_key("both", simulator.key(HEALTHY), ACTOR)
    registry.register_key("both", simulator.key(A_HEALTHY), ACTOR, provider="anthropic")
    registry.add_project("both", simulator.project_ids(HEALTHY)[0], ACTOR)
    registry.add_project("both", "default", ACTOR, provider="anthropic")
    assert [p.provider for p in registry.projects("both", provider=None)] == ["anthropic", "openai"]
    assert [p.project_id for p in registry.projects("both")] == [simulator.project_ids(HEALTHY)[0]]
    registry.mark_verified("both", "anthropic")
    assert registry.client("anthropic") is registry.anthropic_api and registry.client() is registry.api

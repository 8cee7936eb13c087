"""The FinOps page with two providers: Anthropic keys and workspaces managed beside OpenAI's, spend per provider.

Through Airflow's own app with TestClient, real PostgreSQL, moto's KMS and the simulator over HTTP.
"""
# ruff: noqa: F811 - the fixtures are imported from test_web_routes

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from simulator_fixtures import A_HEALTHY, HEALTHY
from test_web_routes import (  # noqa: F401
    admin,
    airflow_app,
    all_table_text,
    card,
    flash,
    form_html,
    rebuild_rollups,
    services,
    tokens,
    viewer,
)

pytestmark = pytest.mark.usefixtures("viewer_reads_every_team")


def _until(page: str, start: int, *ends: str) -> str:
    """``page`` from ``start`` to the nearest of ``ends`` after it."""
    stops = [i for i in (page.find(e, start + 1) for e in ends) if i != -1]
    return page[start:min(stops)]


def panel(page: str, team_id: str, provider: str) -> str:
    """The HTML of one provider's parts of a team's page: its key panel, its scopes and its revoke form."""
    start = page.index(f'id="team-{team_id}"')
    parts = [_until(page, page.index(f'data-provider="{provider}" data-testid=', start), '<div class="panel', "</section>"),
             _until(page, page.index(f'<div class="panel scope" data-provider="{provider}"', start),
                    '<div class="panel', "</section>")]
    revoke = page.find('class="stack-form danger" id="form-revoke-', start)
    while revoke != -1:
        form = _until(page, revoke, "</form>")
        if f'data-provider="{provider}"' in form:
            parts.append(form)
        revoke = page.find('class="stack-form danger" id="form-revoke-', revoke + 1)
    return "\n".join(parts)


def test_admin_manages_both_providers_of_a_team(admin, db, services):
    openai_key, anthropic_key = services.key(HEALTHY), services.key(A_HEALTHY)
    admin.submit("/teams", {"team_id": "growth", "name": "Growth team"})
    page = admin.team("growth")
    assert 'data-testid="anthropic-key-form"' in page and 'placeholder="sk-ant-admin..."' in page
    assert 'placeholder="wrkspc_... or default"' in page

    page = admin.submit("/teams/growth/key", {"admin_key": openai_key})
    assert flash(page).startswith("Admin key sk-admin...")
    page = admin.submit("/teams/growth/key", {"admin_key": anthropic_key, "provider": "anthropic"})
    assert flash(page).startswith(f"Anthropic Admin key sk-ant-admin...{anthropic_key[-4:]}") and "verified live" in flash(page)
    for workspace in ("wrkspc_healthyChat", "default"):
        page = admin.submit("/teams/growth/projects", {"project_id": workspace, "provider": "anthropic"})
    assert "Anthropic workspace default (Default workspace) is registered" in flash(page)
    page = admin.submit("/teams/growth/projects", {"project_id": "wrkspc_healthyOld", "provider": "anthropic"})
    assert "archived in Anthropic" in flash(page)

    anthropic = panel(page, "growth", "anthropic")
    assert f"sk-ant-admin...{anthropic_key[-4:]}" in anthropic and '<span class="name">Chat</span>' in anthropic
    assert 'data-testid="anthropic-revoke-form"' in anthropic and "wrkspc_healthyOld" in anthropic
    assert "Anthropic key active" in page and ">key active<" in page

    overview = admin.get("/finops/api/teams").json()["teams"][0]
    providers = {p["provider"]: p for p in overview["providers"]}
    assert providers["anthropic"]["key"]["redacted"].startswith("sk-ant-admin...")
    assert [p["project_id"] for p in providers["anthropic"]["projects"]] == ["default", "wrkspc_healthyChat",
                                                                             "wrkspc_healthyOld"]
    assert overview["key"]["provider"] == "openai"  # the top-level key stays OpenAI's
    keys = admin.get("/finops/api/teams/growth/keys").json()["keys"]
    assert {k["provider"] for k in keys} == {"openai", "anthropic"}
    only = admin.get("/finops/api/projects", params={"team_id": "growth", "provider": "anthropic"}).json()
    assert {p["provider"] for p in only["projects"]} == {"anthropic"}

    page = admin.submit("/teams/growth/projects/remove", {"project_id": "wrkspc_healthyOld", "provider": "anthropic"})
    assert "Anthropic workspace wrkspc_healthyOld is no longer collected" in flash(page)
    page = admin.submit("/teams/growth/key/revoke", {"confirm": "on", "provider": "anthropic"})
    assert "Anthropic Admin key" in flash(page) and "is revoked" in flash(page)
    assert "Anthropic key revoked" in page and ">key active<" in page
    statuses = db.execute("SELECT provider, status FROM finops.admin_keys ORDER BY key_id").fetchall()
    assert statuses == [("openai", "active"), ("anthropic", "revoked")]
    audit = db.execute("SELECT action, provider FROM finops.audit_log WHERE provider = 'anthropic' ORDER BY audit_id")
    assert [a[0] for a in audit] == ["key.register", "project.add", "project.add", "project.add", "project.remove",
                                     "key.revoke"]

    for body in admin.bodies:
        assert openai_key not in body and anthropic_key not in body
    assert anthropic_key not in all_table_text(db)


def test_anthropic_form_errors_stay_next_to_the_anthropic_form(admin, db, services):
    admin.submit("/teams", {"team_id": "growth"})
    api_key = services.key(A_HEALTHY, "api_key")
    page = admin.submit("/teams/growth/key", {"admin_key": api_key, "provider": "anthropic"})
    form = html.unescape(form_html(page, "form-key-growth-anthropic"))
    assert "Anthropic API key, not an Admin key" in form and api_key not in page
    assert "form-error" not in form_html(page, "form-key-growth"), "the OpenAI form shows no error"

    revoked = services.key(A_HEALTHY, "revoked")
    page = admin.submit("/teams/growth/key", {"admin_key": revoked, "provider": "anthropic"})
    assert "The Anthropic API rejected the Admin key" in html.unescape(form_html(page, "form-key-growth-anthropic"))

    page = admin.submit("/teams/growth/projects", {"project_id": "proj_abc", "provider": "anthropic",
                                                   "skip_verify": "on"})
    form = form_html(page, "form-project-growth-anthropic")
    assert "wrkspc_" in form and 'value="proj_abc"' in form
    page = admin.submit("/teams/growth/key", {"admin_key": services.key(HEALTHY), "provider": "azure"})
    assert "is not a provider" in html.unescape(form_html(page, "form-key-growth"))
    for body in admin.bodies:
        assert api_key not in body and revoked not in body
    assert db.execute("SELECT count(*) FROM finops.admin_keys").fetchone()[0] == 0


def test_spend_per_provider_and_what_a_viewer_sees(admin, viewer, db):
    admin.submit("/teams", {"team_id": "growth"})
    admin.submit("/teams", {"team_id": "solo"})
    today = datetime.now(UTC).date()
    rows = [("openai", "proj_a", "gpt-4o, input", "12.50"), ("openai", "proj_a", "gpt-4o, output", "0.25"),
            ("anthropic", "default", "Claude Sonnet 4 Usage - Input Tokens", "1.2378912"),
            ("anthropic", "wrkspc_a", "Web Search Usage", "10.00")]
    for provider, scope, item, amount in rows:
        db.execute("INSERT INTO finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, "
                   "amount, collected_at) VALUES (%s, 'growth', %s, %s, %s, 'usd', %s, now())",
                   (provider, today - timedelta(days=2), scope, item, Decimal(amount)))
    rebuild_rollups(db)
    page = admin.team("growth")
    assert "12.75 USD" in panel(page, "growth", "openai") and "11.24 USD" in panel(page, "growth", "anthropic")
    legend = re.findall(r'<li data-series="\d+">.*?<code class="id[^"]*"[^>]*>([^<]+)</code>', card(page, "growth"))
    assert legend == ["proj_a", "wrkspc_a", "default"], "the chart's series are the team's projects and workspaces"
    spend = admin.get("/finops/api/teams").json()["teams"][0]
    assert [(s["provider"], Decimal(s["total"])) for s in spend["spend"]] == [
        ("openai", Decimal("12.75")), ("anthropic", Decimal("11.2378912"))]
    totals = {p["provider"]: Decimal(p["spend"][0]["total"]) for p in spend["providers"] if p["spend"]}
    assert totals == {"openai": Decimal("12.75"), "anthropic": Decimal("11.2378912")}
    assert totals["anthropic"] == db.execute(
        "SELECT sum(amount) FROM finops.cost_data WHERE provider = 'anthropic'").fetchone()[0]

    seen = viewer.team("growth")
    assert 'data-provider="anthropic" data-testid="anthropic-provider"' in card(seen, "growth")
    solo = viewer.team("solo")
    assert 'data-provider="anthropic" data-testid' not in card(solo, "solo"), "nothing Anthropic to show for solo"
    assert "<form" not in seen and "<form" not in solo

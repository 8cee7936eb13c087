"""The simulator app in-process (Starlette's TestClient): contract shapes, validation, paging, faults."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from finops.simulator import create_app
from finops.simulator.config import AdminKey, Faults, Organization, ProjectConfig, SimulatorConfig, random_key
from finops.simulator.data import expected_costs

KEYS = {s: random_key() for s in ("active", "revoked", "no_scope", "faulty", "quirky")}
JAN1 = 1735689600  # 2025-01-01 00:00 UTC
DAY = 86400


def _org(org_id, seed, keys, projects, **faults):
    return Organization(id=org_id, seed=seed, keys=keys,
                        projects=[ProjectConfig(id=p, name=p[5:]) for p in projects], faults=Faults(**faults))


CONFIG = SimulatorConfig(organizations=[
    _org("org-a", 1, [AdminKey(key=KEYS["active"]), AdminKey(key=KEYS["revoked"], status="revoked"),
                      AdminKey(key=KEYS["no_scope"], status="no_scope")], ["proj_a1", "proj_a2"]),
    _org("org-f", 2, [AdminKey(key=KEYS["faulty"])], ["proj_f1"], rate_429=0.5, rate_5xx=0.3,
         retry_after_seconds=2, max_consecutive_faults=2),
    _org("org-q", 3, [AdminKey(key=KEYS["quirky"])], ["proj_q1", "proj_q2"], string_amounts=True,
         null_project_share=0.5),
])


@pytest.fixture
def api():
    return TestClient(create_app(CONFIG))


def auth(name="active"):
    return {"Authorization": f"Bearer {KEYS[name]}"}


def costs(api, key="active", **params):
    params.setdefault("start_time", JAN1)
    return api.get("/v1/organization/costs", params=params, headers=auth(key))


def fetch_all(api, key="active", **params):
    pages, cursor = [], None
    while True:
        r = costs(api, key, **params, **({"page": cursor} if cursor else {}))
        assert r.status_code == 200, r.text
        body = r.json()
        pages.append(body)
        if not body["has_more"]:
            assert body["next_page"] is None
            return pages
        cursor = body["next_page"]


def totals(pages):
    out = {}
    for page in pages:
        for bucket in page["data"]:
            day = datetime.fromtimestamp(bucket["start_time"], UTC).date()
            for r in bucket["results"]:
                key = (day, r["project_id"] or "unassigned", r["line_item"], r["amount"]["currency"])
                out[key] = out.get(key, Decimal(0)) + Decimal(str(r["amount"]["value"]))
    return out


def test_page_shape_follows_the_contract(api):
    body = costs(api, end_time=JAN1 + 3 * DAY, group_by=["project_id", "line_item"]).json()
    assert body["object"] == "page" and body["has_more"] is False and body["next_page"] is None
    assert [b["start_time"] for b in body["data"]] == [JAN1, JAN1 + DAY, JAN1 + 2 * DAY]
    bucket = body["data"][0]
    assert bucket["object"] == "bucket" and bucket["end_time"] == JAN1 + DAY
    result = bucket["results"][0]
    assert result["object"] == "organization.costs.result" and result["organization_id"] == "org-a"
    assert set(result) >= {"amount", "line_item", "project_id", "api_key_id", "quantity", "quantity_unit"}
    assert result["amount"]["currency"] == "usd" and isinstance(result["amount"]["value"], float)


def test_default_limit_is_seven_buckets(api):
    body = costs(api, end_time=JAN1 + 10 * DAY).json()
    assert len(body["data"]) == 7 and body["has_more"] and body["next_page"]


def test_start_time_is_aligned_down_to_the_utc_day(api):
    body = costs(api, start_time=JAN1 + 13 * 3600, end_time=JAN1 + 2 * DAY).json()
    assert [b["start_time"] for b in body["data"]] == [JAN1, JAN1 + DAY]


def test_bracket_and_plain_array_forms_are_the_same(api):
    bracket = costs(api, end_time=JAN1 + 5 * DAY, **{"group_by[]": ["project_id", "line_item"],
                                                   "project_ids[]": ["proj_a1"]}).json()
    plain = costs(api, end_time=JAN1 + 5 * DAY, group_by=["project_id", "line_item"], project_ids=["proj_a1"]).json()
    assert bracket["data"] == plain["data"]
    assert {r["project_id"] for b in plain["data"] for r in b["results"]} == {"proj_a1"}


def test_ungrouped_results_have_null_dimensions(api):
    body = costs(api, end_time=JAN1 + 2 * DAY).json()
    for bucket in body["data"]:
        assert len(bucket["results"]) <= 1
        for r in bucket["results"]:
            assert r["project_id"] is None and r["line_item"] is None and r["quantity"] is None


def test_totals_do_not_depend_on_page_size_and_match_expected(api):
    window = {"end_time": JAN1 + 30 * DAY, "group_by": ["project_id", "line_item"]}
    small = totals(fetch_all(api, limit=4, **window))
    large = totals(fetch_all(api, limit=180, **window))
    assert small == large == expected_costs(CONFIG, "org-a", date(2025, 1, 1), date(2025, 1, 31))
    assert len(fetch_all(api, limit=4, **window)) == 8


def test_some_days_have_no_spend(api):
    pages = fetch_all(api, limit=180, end_time=JAN1 + 60 * DAY, group_by=["project_id", "line_item"],
                      project_ids=["proj_a1"])
    empty = [b for b in pages[0]["data"] if not b["results"]]
    assert 0 < len(empty) < 60


def test_cursor_is_opaque_and_bound_to_its_query(api):
    first = costs(api, end_time=JAN1 + 10 * DAY, limit=2).json()
    cursor = first["next_page"]
    assert cursor.startswith("page_")
    base64.urlsafe_b64decode(cursor.removeprefix("page_"))
    r = costs(api, end_time=JAN1 + 10 * DAY, limit=3, page=cursor)
    assert r.status_code == 400 and r.json()["error"]["param"] == "page"
    assert costs(api, end_time=JAN1 + 10 * DAY, limit=2, page="garbage").status_code == 400


@pytest.mark.parametrize(
    "params,param",
    [
        ({"limit": 0}, "limit"), ({"limit": 181}, "limit"), ({"limit": "x"}, "limit"),
        ({"bucket_width": "1h"}, "bucket_width"), ({"start_time": ""}, "start_time"),
        ({"group_by": ["model"]}, "group_by"), ({"end_time": JAN1}, "end_time"),
    ],
)
def test_invalid_parameters_are_400_in_openai_shape(api, params, param):
    r = costs(api, **params)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["param"] == param and error["type"] == "invalid_request_error" and error["message"]


def test_limit_bounds_are_inclusive(api):
    assert costs(api, limit=1).status_code == 200 and costs(api, limit=180).status_code == 200


@pytest.mark.parametrize("headers,status", [({}, 401), ({"Authorization": "Bearer sk-admin-nope"}, 401),
                                            (auth("revoked"), 401), (auth("no_scope"), 403)])
def test_auth(api, headers, status):
    for path in ("/v1/organization/costs?start_time=1", "/v1/organization/projects", "/v1/organization/projects/proj_a1"):
        r = api.get(path, headers=headers)
        assert r.status_code == status and set(r.json()["error"]) == {"message", "type", "param", "code"}
        assert KEYS["revoked"] not in r.text
    assert "api.usage.read" in api.get("/v1/organization/projects", headers=auth("no_scope")).text


def test_projects_list_and_get(api):
    body = api.get("/v1/organization/projects", params={"limit": 1}, headers=auth()).json()
    assert body["object"] == "list" and [p["id"] for p in body["data"]] == ["proj_a1"] and body["has_more"]
    rest = api.get("/v1/organization/projects", params={"after": "proj_a1"}, headers=auth()).json()
    assert [p["id"] for p in rest["data"]] == ["proj_a2"] and not rest["has_more"]
    p = api.get("/v1/organization/projects/proj_a2", headers=auth()).json()
    assert p["object"] == "organization.project" and p["status"] == "active" and p["name"] == "a2"
    missing = api.get("/v1/organization/projects/proj_f1", headers=auth())  # another org's project
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert api.get("/v1/organization/projects", params={"limit": 101}, headers=auth()).json()["error"]["param"] == "limit"


def test_faults_are_deterministic_and_a_retry_always_succeeds():
    def statuses():
        api = TestClient(create_app(CONFIG))
        seen = []
        for day in range(20):
            params = {"start_time": JAN1 + day * DAY, "end_time": JAN1 + (day + 1) * DAY}
            attempt = []
            while True:
                r = costs(api, "faulty", **params)
                attempt.append(r.status_code)
                if r.status_code == 429:
                    assert r.headers["Retry-After"] == "2" and r.json()["error"]["code"] == "rate_limit_exceeded"
                if r.status_code == 200:
                    break
            assert len(attempt) <= 3
            seen.append(tuple(attempt))
        return seen

    first, second = statuses(), statuses()
    assert first == second
    flat = {s for attempts in first for s in attempts}
    assert {200, 429} <= flat and flat & {500, 503}


def test_reset_restarts_the_fault_sequence():
    api = TestClient(create_app(CONFIG))
    def run():
        return [costs(api, "faulty", start_time=JAN1 + d * DAY).status_code for d in range(10)]
    before = run()
    assert run() != before or all(s == 200 for s in before)
    assert api.post("/_simulator/reset").status_code == 200
    assert run() == before


def test_string_amounts_and_null_projects_serve_the_same_totals(api):
    pages = fetch_all(api, "quirky", end_time=JAN1 + 14 * DAY, limit=5, group_by=["project_id", "line_item"])
    values = [r["amount"]["value"] for p in pages for b in p["data"] for r in b["results"]]
    assert values and all(isinstance(v, str) for v in values)
    projects = {r["project_id"] for p in pages for b in p["data"] for r in b["results"]}
    assert None in projects and "proj_q1" in projects
    assert totals(pages) == expected_costs(CONFIG, "org-q", date(2025, 1, 1), date(2025, 1, 15))


def test_expected_endpoint(api):
    by_org = api.get("/_simulator/expected", params={"org_id": "org-a", "start_date": "2025-01-01",
                                                     "end_date": "2025-01-08", "project_ids[]": "proj_a2"}).json()
    by_key = api.get("/_simulator/expected", params={"start_date": "2025-01-01", "end_date": "2025-01-08",
                                                     "project_ids": "proj_a2"}, headers=auth()).json()
    assert by_org == by_key
    lib = expected_costs(CONFIG, "org-a", date(2025, 1, 1), date(2025, 1, 8), ["proj_a2"])
    assert {(date.fromisoformat(r["usage_date"]), r["project_id"], r["line_item"], r["currency"]): Decimal(r["amount"])
            for r in by_org["rows"]} == lib
    assert Decimal(by_org["total"]) == sum(lib.values())
    assert api.get("/_simulator/expected", params={"org_id": "org-x", "start_date": "2025-01-01",
                                                   "end_date": "2025-01-02"}).status_code == 404
    assert api.get("/_simulator/expected", params={"org_id": "org-a"}).status_code == 400


def test_health_and_unknown_routes(api):
    assert api.get("/_simulator/health").json() == {"status": "ok", "organizations": 3, "anthropic_organizations": 0}
    r = api.get("/v1/organization/nothing", headers=auth())
    assert r.status_code == 404 and "error" in r.json()


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("more", [False, True])
def test_a_page_is_written_as_its_json_response_would_be(exact, more):
    """Pages come encoded from where they are computed (a generator process, or the page cache); around them the
    envelope gives the bytes JSONResponse (ExactJSONResponse with exact decimals) writes for the whole dictionary."""
    from fastapi.responses import JSONResponse

    from finops.simulator.app import ExactJSONResponse, encode_data, page_response

    amount = Decimal("0.000123456789012345678901") if exact else 0.1 + 0.2
    data = [{"object": "bucket", "start_time": JAN1, "results": [
        {"amount": {"value": amount, "currency": "usd"}, "project_id": None, "line_item": "gpt-4o, input ✓",
         "quantity": 12, "batch": False}]}, {"object": "bucket", "results": []}]
    next_page = "cGFnZV8x" if more else None
    expected = (ExactJSONResponse if exact else JSONResponse)(
        {"object": "page", "data": data, "has_more": more, "next_page": next_page})
    found = page_response(encode_data(data, exact), more, next_page)
    assert found.body == expected.body
    assert found.headers["content-type"] == expected.headers["content-type"]


def test_kept_pages_are_served_again_with_the_same_bytes():
    """``cache_pages``: the same request is answered from memory with the same bytes; another query (or another
    revision of a restated organization: an argument of the page too) is computed."""
    api = TestClient(create_app(CONFIG, cache_pages=True))
    params = {"end_time": JAN1 + 3 * DAY, "group_by": ["project_id", "line_item"]}
    first, again = costs(api, **params), costs(api, **params)
    assert first.status_code == again.status_code == 200 and first.content == again.content
    assert api.get("/_simulator/health").json()["page_cache"] | {"bytes": 0} == {
        "pages": 1, "bytes": 0, "hits": 1, "misses": 1}
    assert costs(api, **{**params, "group_by": ["line_item"]}).status_code == 200
    assert api.get("/_simulator/health").json()["page_cache"]["misses"] == 2
    assert "page_cache" not in TestClient(create_app(CONFIG)).get("/_simulator/health").json()

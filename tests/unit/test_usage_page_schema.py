"""The typed OpenAI usage page (finops.usage.page_schema) gives exactly the rows of the lenient path, or steps aside."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import msgspec
import pytest
from fastapi.testclient import TestClient

from finops.bench.env import project_ids, simulator_config
from finops.simulator.app import create_app
from finops.usage.client import OPENAI_GROUP_BY
from finops.usage.models import OPENAI_ENDPOINTS
from finops.usage.normalize import page_rows
from finops.usage.page_schema import openai_page_rows

START = int(datetime(2026, 9, 28, tzinfo=UTC).timestamp())


def lenient(endpoint: str, body: bytes):
    return page_rows("openai", endpoint, msgspec.json.decode(body))


def same(endpoint: str, body: bytes):
    """The typed rows, checked equal to the lenient path's field by field, types included (True is not 1)."""
    fast = openai_page_rows(endpoint, body)
    assert fast is not None, "the typed path stepped aside on a page in the common form"
    slow = lenient(endpoint, body)
    assert fast == slow
    assert [[type(v) for v in row] for row in fast[0]] == [[type(v) for v in row] for row in slow[0]]
    return fast


@pytest.fixture(scope="module")
def simulator_pages() -> dict[str, bytes]:
    config, keys, _ = simulator_config(1, 0, keys_per_project=3)
    client = TestClient(create_app(config))
    pages = {}
    for endpoint in OPENAI_ENDPOINTS:
        query = [("start_time", START), ("end_time", START + 3 * 86400), ("bucket_width", "1d"), ("limit", 31)]
        query += [("group_by[]", g) for g in OPENAI_GROUP_BY[endpoint]]
        query += [("project_ids[]", p) for p in project_ids(0)]
        response = client.get(f"/v1/organization/usage/{endpoint}", params=query,
                              headers={"Authorization": f"Bearer {keys['bench0000']}"})
        assert response.status_code == 200
        pages[endpoint] = response.content
    return pages


@pytest.mark.parametrize("endpoint", OPENAI_ENDPOINTS)
def test_simulator_pages_of_every_endpoint_give_the_lenient_rows(simulator_pages, endpoint):
    rows, more, cursor = same(endpoint, simulator_pages[endpoint])
    assert (more, cursor) == (False, None)
    if endpoint in ("completions", "embeddings", "images", "audio_transcriptions"):
        assert rows, f"the simulator's {endpoint} page should carry rows for this comparison to mean something"


def page(results: list[dict], **extra) -> bytes:
    return json.dumps({"object": "page", "data": [{"object": "bucket", "start_time": START, "end_time": START + 86400,
                                                   "results": results}], **extra}).encode()


@pytest.mark.parametrize(("endpoint", "result"), [
    ("completions", {"input_tokens": 1000, "input_cached_tokens": 800, "output_tokens": 5, "num_model_requests": 2,
                     "project_id": None, "api_key_id": None, "model": None, "batch": None, "service_tier": None}),
    ("completions", {"input_tokens": 1000, "input_cached_tokens": 600, "input_cache_write_tokens": 100,
                     "input_uncached_tokens": 250, "output_tokens": 3, "project_id": "", "model": "gpt-4.1",
                     "batch": True, "service_tier": "flex", "api_key_id": "key_1", "user_id": "u"}),
    ("completions", {"input_audio_tokens": 7, "output_audio_tokens": 9}),
    ("completions", {"input_tokens": 1, "project_id": "", "api_key_id": "", "model": "", "service_tier": ""}),
    ("embeddings", {"input_tokens": 16, "num_model_requests": 2, "model": "text-embedding-3-small"}),
    ("images", {"images": 2, "num_model_requests": 2, "size": "1024x1024", "source": "image.generation"}),
    ("audio_speeches", {"characters": 45, "num_model_requests": 1}),
    ("audio_transcriptions", {"seconds": 20, "num_model_requests": 1}),
    ("vector_stores", {"usage_bytes": 1024, "project_id": "proj_x"}),
    ("code_interpreter_sessions", {"num_sessions": 2}),
    ("code_interpreter_sessions", {"sessions": 3}),
    ("code_interpreter_sessions", {}),
    ("web_search_calls", {"num_requests": 7, "num_model_requests": 4, "model": "gpt-4.1", "api_key_id": "key_w"}),
    ("file_search_calls", {"num_requests": 5, "vector_store_id": None, "api_key_id": "key_f"}),
])
def test_reference_shapes_give_the_lenient_rows(endpoint, result):
    same(endpoint, page([result, {}], has_more=True, next_page="page_2"))


@pytest.mark.parametrize("body", [
    page([{"input_tokens": "1000"}]),  # a count as text
    page([{"input_tokens": 1000.0}]),  # a count as a whole float
    page([{"num_model_requests": True}]),  # a flag where a count belongs
    page([{"input_tokens": -1}]),  # negative
    page([{"input_tokens": 10, "input_cached_tokens": 11}]),  # input below its cached part
    page([{"project_id": 7}]),  # an id that is not text
    page([{"batch": "yes"}]),  # a batch flag that is not a flag: kept as unknown by the lenient path
    json.dumps({"data": [{"starting_at": "2026-09-28T00:00:00Z", "results": []}]}).encode(),
    json.dumps({"error": {"message": "nope"}}).encode(),
    b'{"data": [',
])
def test_anything_off_the_common_form_is_left_to_the_lenient_path(body):
    assert openai_page_rows("completions", body) is None

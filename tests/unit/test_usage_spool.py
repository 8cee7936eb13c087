"""UsageLoad.spool: the window's rows only, as COPY data a day of the window each, in their order, with a digest per
day (a duplicate is the unique index's to refuse: tests/integration/test_usage_model_rollup.py; unchanged days left
alone: tests/integration/test_usage_collection.py)."""

from __future__ import annotations

from datetime import date

from finops.usage.load import UsageLoad, day_digest
from finops.usage.models import UsageRow

PARAMS = {"window_start": date(2026, 9, 28), "window_end": date(2026, 10, 1), "provider": "openai", "team_id": "t1"}


def row(day: date, key: str = "key_a", tokens: int = 1) -> UsageRow:
    return UsageRow(usage_date=day, project_id="proj_a", endpoint="completions", api_key_id=key, model="gpt-4.1",
                    input_tokens=tokens)


def spooled(rows: list[UsageRow]) -> tuple[int, bytes]:
    days = spooled_days(rows)
    return sum(day.rows for day in days), b"".join(day.data for day in days)


def spooled_days(rows: list[UsageRow]) -> list:
    load = UsageLoad(rows)
    load.spool(PARAMS)
    return load._spooled[2]


def test_only_the_window_s_days_are_kept_in_their_order():
    rows = [row(date(2026, 9, 27), tokens=5), row(date(2026, 9, 28), tokens=6), row(date(2026, 9, 30), tokens=7),
            row(date(2026, 10, 1), tokens=8)]
    count, data = spooled(rows)
    assert count == 2
    lines = data.decode().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["2026-09-28", "2026-09-30"]
    assert [line.split("\t")[9] for line in lines] == ["6", "7"]


def test_all_in_the_window_is_kept_whole():
    rows = [row(date(2026, 9, 28), key=f"key_{n}") for n in range(5)]
    assert spooled(rows)[0] == 5


def test_every_day_of_the_window_is_a_part_with_its_digest_an_empty_day_too():
    rows = [row(date(2026, 9, 30), tokens=7), row(date(2026, 9, 28), tokens=6), row(date(2026, 9, 30), key="key_b")]
    days = spooled_days(rows)
    assert [(d.usage_date, d.rows) for d in days] == [(date(2026, 9, 28), 1), (date(2026, 9, 29), 0),
                                                      (date(2026, 9, 30), 2)]
    assert days[1].data == b"" and days[1].digest == day_digest(days[1].kind, b"")
    assert [line.split("\t")[3] for line in days[2].data.decode().splitlines()] == ["'key_a'", "'key_b'"]
    assert len({d.digest for d in days}) == 3


def test_a_day_s_digest_changes_with_any_figure_or_order_and_only_that_day_s():
    base = [row(date(2026, 9, 28)), row(date(2026, 9, 29)), row(date(2026, 9, 29), key="key_b")]
    digests = [d.digest for d in spooled_days(base)]
    assert [d.digest for d in spooled_days(list(base))] == digests  # the same rows: the same digests
    changed = [d.digest for d in spooled_days([base[0], row(date(2026, 9, 29), tokens=2), base[2]])]
    assert changed[0] == digests[0] and changed[1] != digests[1] and changed[2] == digests[2]
    swapped = [base[0], base[2], base[1]]
    assert [d.digest for d in spooled_days(swapped)][1] != digests[1]


def test_a_day_with_a_quoted_text_has_a_digest_of_its_own():
    quoted = [row(date(2026, 9, 28), key='key "q"'), row(date(2026, 9, 28), key="key \\ b")]
    (day, *_) = spooled_days(quoted)
    assert day.kind != spooled_days([row(date(2026, 9, 28))])[0].kind  # written field by field (format_csv_rows)
    assert day.digest == spooled_days(list(quoted))[0].digest != spooled_days(quoted[:1])[0].digest


# -- OpenAI buckets kept as the API sent them (finops.usage.page_schema.RawBucket) ---------------------------------

def bucket(day: date, results: bytes, endpoint: str = "completions"):
    from datetime import UTC, datetime

    from finops.usage.page_schema import RawBucket

    start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    return RawBucket(day, start, endpoint, results, "The OpenAI completions usage endpoint", 1)


RESULTS = b'[{"input_tokens": 10, "input_cached_tokens": 4, "project_id": "proj_a", "model": "gpt-4.1"}]'


def test_a_day_of_buckets_is_digested_over_its_bytes_and_decoded_only_when_not_known(monkeypatch):
    from finops.usage import load as load_module

    decoded = []
    real = load_module.bucket_rows
    monkeypatch.setattr(load_module, "bucket_rows", lambda b: decoded.append(b.usage_date) or real(b))
    buckets = [bucket(date(2026, 9, 28), RESULTS), bucket(date(2026, 9, 29), RESULTS),
               bucket(date(2026, 9, 29), b"[]", endpoint="images")]
    first = UsageLoad([], buckets=buckets)
    first.spool(PARAMS, known={})  # nothing loaded yet: every day with buckets decoded and formatted
    days = first._spooled[2]
    assert decoded == [date(2026, 9, 28), date(2026, 9, 29), date(2026, 9, 29)]
    assert [(d.rows, d.data is not None) for d in days] == [(1, True), (1, True), (0, True)]
    assert days[0].data.decode().split("\t")[9:11] == ["6", "4"]  # input without its cached part

    decoded.clear()
    known = {d.usage_date: (d.digest, d.rows) for d in days}
    again = UsageLoad([], buckets=list(buckets))
    again.spool(PARAMS, known=known)  # the same bytes: nothing decoded, the same digests
    assert decoded == [] and [d.digest for d in again._spooled[2]] == [d.digest for d in days]
    assert [d.data for d in again._spooled[2]][:2] == [None, None]

    changed = UsageLoad([], buckets=[buckets[0], bucket(date(2026, 9, 29), RESULTS.replace(b"10", b"11")),
                                     buckets[2]])
    changed.spool(PARAMS, known=known)  # only the day whose bytes changed is decoded
    assert decoded == [date(2026, 9, 29), date(2026, 9, 29)]
    assert [d.digest == k.digest for d, k in zip(changed._spooled[2], days, strict=True)] == [True, False, True]

    decoded.clear()
    lazy = UsageLoad([], buckets=list(buckets))
    lazy.spool(PARAMS)  # nothing read ahead: the load decodes what its transaction finds changed
    assert decoded == [] and lazy._spooled[2][0].digest == days[0].digest
    lazy._spooled[2][0].format()
    assert (lazy._spooled[2][0].rows, lazy._spooled[2][0].data) == (days[0].rows, days[0].data)


def test_a_bucket_s_endpoint_and_order_are_part_of_its_day_s_digest():
    def digest(*buckets):
        load = UsageLoad([], buckets=list(buckets))
        load.spool(PARAMS)
        return load._spooled[2][0].digest

    a, b = bucket(date(2026, 9, 28), RESULTS), bucket(date(2026, 9, 28), b"[]", endpoint="images")
    assert digest(a, b) == digest(a, b) != digest(b, a)
    assert digest(a) != digest(bucket(date(2026, 9, 28), RESULTS, endpoint="embeddings"))


def test_a_day_with_rows_decoded_at_once_is_digested_over_all_its_rows():
    # a page off the common form gives decoded rows: its day's buckets are decoded too, and the rows digested
    day = date(2026, 9, 28)
    load = UsageLoad([row(day, key="key_z")], buckets=[bucket(day, RESULTS)])
    load.spool(PARAMS)
    spooled = load._spooled[2][0]
    assert spooled.rows == 2 and spooled.digest == day_digest(spooled.kind, spooled.data)


def test_results_off_the_contract_are_named_when_their_day_is_decoded():
    import pytest

    from finops.costs.errors import CostsApiResponseError

    load = UsageLoad([], buckets=[bucket(date(2026, 9, 28), b'[{"input_tokens": "many"}]')])
    with pytest.raises(CostsApiResponseError, match="completions usage endpoint's page 1 does not match"):
        load.spool(PARAMS, known={})
    lenient = UsageLoad([], buckets=[bucket(date(2026, 9, 28), b'[{"input_tokens": "12"}]')])
    lenient.spool(PARAMS, known={})  # a count as text: the lenient path's reading
    assert lenient._spooled[2][0].data.decode().split("\t")[9] == "12"

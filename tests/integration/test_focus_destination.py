"""The ``finops_focus_export`` DAG's tasks write only inside the configured destination folder (real PostgreSQL).

A ``dest`` outside the ``finops_focus_dest`` variable fails the run at ``plan_exports`` and at
``export_month`` in one sentence, with nothing written anywhere; a ``dest`` inside it is where the
files land.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import test_focus_export as focus

MONTH = focus.MONTH
month_data = focus.month_data  # the same fixture (the s3:// case is in test_focus_export, beside its moto server)

RUN_AFTER = datetime(2026, 11, 2, 6, 0)


def _files(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_a_local_dest_outside_the_variable_fails_the_run_and_writes_nothing(month_data, tmp_path, monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    from finops.export.tasks import export_task, plan_exports_task

    root, elsewhere = tmp_path / "exports", tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    monkeypatch.setenv("AIRFLOW_VAR_FINOPS_FOCUS_DEST", str(root))
    for dest in (str(elsewhere), "../elsewhere"):
        params = {"months": [MONTH], "dest": dest}
        with pytest.raises(AirflowFailException, match=f"The `dest` param {dest} is outside the configured FOCUS "
                                                        f"destination {root}"):
            plan_exports_task(params, None, RUN_AFTER)
        with pytest.raises(AirflowFailException, match="is outside the configured FOCUS destination"):
            export_task({"month": MONTH, "provider": "openai"}, params, RUN_AFTER)
    assert _files(elsewhere) == [] and _files(root) == []

    done = export_task({"month": MONTH, "provider": "openai"}, {"dest": "adhoc"}, RUN_AFTER)
    assert done["files"] == [str(root / "adhoc" / f"billing_period={MONTH}" / "provider=openai" /
                                 f"focus-{MONTH}-openai.csv")]

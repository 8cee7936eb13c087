"""A manual run's ``dest`` stays inside the configured FOCUS destination: folders, ``..``, symlinks, buckets."""

from __future__ import annotations

import os

import pytest

from finops.export.destination import confine
from finops.export.errors import BadDestination


def test_no_dest_is_the_configured_destination_or_the_default(tmp_path, monkeypatch):
    assert confine(None, str(tmp_path)) == str(tmp_path)
    assert confine("  ", "s3://finops/focus") == "s3://finops/focus"
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "home"))
    assert confine(None, None) == str(tmp_path / "home" / "finops_exports" / "focus")


def test_a_folder_inside_is_accepted_absolute_or_relative(tmp_path):
    root = tmp_path / "exports"
    assert confine(str(root / "adhoc" / "2026"), str(root)) == str((root / "adhoc" / "2026").resolve())
    assert confine("adhoc/2026", str(root)) == str((root / "adhoc" / "2026").resolve())
    assert confine(str(root), str(root)) == str(root.resolve())
    assert confine("file://" + str(root / "x"), str(root)) == str((root / "x").resolve())


@pytest.mark.parametrize("dest", ["/tmp", "{tmp}/elsewhere", "{tmp}/exports-evil", "../elsewhere",
                                  "adhoc/../../elsewhere", "{tmp}/exports/../elsewhere", "file:///etc",
                                  "s3://attacker-bucket/x", "gs://bucket/x", "~"])
def test_a_folder_outside_is_refused_in_one_sentence(tmp_path, dest):
    root = tmp_path / "exports"
    root.mkdir()
    with pytest.raises(BadDestination) as refused:
        confine(dest.format(tmp=tmp_path), str(root))
    message = str(refused.value)
    assert message.startswith(f"The `dest` param {dest.format(tmp=tmp_path)} is outside the configured FOCUS "
                              f"destination {root}; give a folder inside it")
    assert message.endswith("or change the `finops_focus_dest` variable.")


def test_a_symlink_inside_that_points_outside_is_refused(tmp_path):
    root, outside = tmp_path / "exports", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    os.symlink(outside, root / "link")
    for dest in ("link", "link/deeper", str(root / "link")):
        with pytest.raises(BadDestination, match="is outside the configured FOCUS destination"):
            confine(dest, str(root))
    os.symlink(root / "real", root / "inner-link")  # a link that stays inside is fine
    assert confine("inner-link", str(root)) == str((root / "real").resolve())


def test_a_configured_root_behind_a_symlink_still_accepts_its_own_folders(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    os.symlink(real, tmp_path / "alias")
    assert confine(str(tmp_path / "alias" / "adhoc"), str(tmp_path / "alias")) == str(real / "adhoc")
    assert confine(str(real / "adhoc"), str(tmp_path / "alias")) == str(real / "adhoc")


def test_s3_inside_the_configured_bucket_and_prefix_is_accepted():
    root = "s3://finops/focus"
    assert confine("s3://finops/focus/adhoc", root) == "s3://finops/focus/adhoc"
    assert confine("s3://finops/focus/", root) == "s3://finops/focus"
    assert confine("adhoc/2026-11", root) == "s3://finops/focus/adhoc/2026-11"
    assert confine("s3a://finops//focus/x", root) == "s3://finops/focus/x"
    assert confine("s3://finops/anything", "s3://finops") == "s3://finops/anything"


@pytest.mark.parametrize("dest", ["s3://other-bucket/focus", "s3://finops/elsewhere", "s3://finops/focus-evil",
                                  "s3://finops", "s3://finops/focus/../elsewhere", "../elsewhere", "adhoc/../..",
                                  "/tmp/exports", "file:///tmp", "s3://FINOPS/focus"])
def test_s3_outside_the_configured_bucket_or_prefix_is_refused(dest):
    with pytest.raises(BadDestination, match=r"is outside the configured FOCUS destination s3://finops/focus;"):
        confine(dest, "s3://finops/focus")

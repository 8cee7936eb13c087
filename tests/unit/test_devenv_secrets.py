"""Generated local secrets: safe on an argv, and a passwords file nobody else can read (items 9 and 10 of issue 18)."""

from __future__ import annotations

import argparse
import json
import os
import stat
from pathlib import Path

import pytest

from finops.devenv import local


def test_a_generated_password_is_never_read_as_an_option(monkeypatch):
    # secrets.token_urlsafe draws '-' as a first character about 1 time in 64: force it.
    monkeypatch.setattr(local.secrets, "token_urlsafe", lambda n: "-Abc_123" + "x" * n)
    password = local.generate_password()
    parser = argparse.ArgumentParser(exit_on_error=False)
    parser.add_argument("-p", "--password")
    assert parser.parse_args(["--password", password]).password == password
    assert not password.startswith("-")


def test_the_passwords_file_is_private_from_its_first_byte(tmp_path, monkeypatch):
    path = tmp_path / "passwords.json"
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", str(path))

    def crash(self, mode):  # a process killed after writing, before any chmod
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "chmod", crash)
    old_umask = os.umask(0)  # a permissive umask: only the mode given at creation protects the file
    try:
        try:
            passwords = local.ensure_passwords()
        except KeyboardInterrupt:
            passwords = None
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert passwords == json.loads(path.read_text())
    assert set(passwords) == {"admin", "viewer"} and all(not p.startswith("-") for p in passwords.values())
    assert local.ensure_passwords() == passwords  # generated once


@pytest.mark.parametrize("user", ["admin", "viewer"])
def test_passwords_are_long_enough(tmp_path, monkeypatch, user):
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", str(tmp_path / "p.json"))
    assert len(local.ensure_passwords()[user]) >= 16

"""A plugin installed with pip shows up as a node kind; a broken one is reported by name and skipped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    for name in ("ff_hello_plugin", "ff_broken_plugin"):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--no-build-isolation",
                "--target",
                str(target),
                str(FIXTURES / name),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    return target


def cli(site: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "flowforge_desktop", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_installed_plugin_is_listed_and_usable(plugin_site: Path, tmp_path: Path) -> None:
    listed = cli(plugin_site, "nodes", "--json")
    assert listed.returncode == 0, listed.stderr
    kinds = {row["kind"]: row for row in json.loads(listed.stdout.split("\nwarning:")[0])}
    assert kinds["hello"]["title"] == "Say hello"
    assert kinds["hello"]["fields"][0] == {
        "name": "greeting",
        "type": "str",
        "required": False,
        "default": "Hello",
        "description": "Word to greet with.",
    }
    assert "http" in kinds  # built-ins still there
    wf = {
        "format": "flowforge.workflow",
        "version": 1,
        "id": "p",
        "name": "plugin",
        "nodes": [
            {"id": "start", "type": "trigger", "kind": "manual"},
            {"id": "greet", "type": "operation", "kind": "hello", "config": {"greeting": "Hi"}},
        ],
        "connections": [{"from": "start", "to": "greet"}],
    }
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(wf))
    checked = cli(plugin_site, "validate", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"{path}: valid" in checked.stdout


def test_broken_plugin_is_named_and_skipped(plugin_site: Path) -> None:
    listed = cli(plugin_site, "nodes")
    assert listed.returncode == 0
    assert (
        "warning: plugin 'broken' (from ff-broken-plugin) was skipped: cannot import ff_broken_plugin:KINDS: "
        "No module named 'flowforge_nonexistent_dependency'"
    ) in listed.stdout
    assert "hello  (operation, v1)" in listed.stdout

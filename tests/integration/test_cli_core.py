"""The command line as a user types it: validate, export, schema, nodes, --version."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from flowforge_desktop import __version__


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flowforge_desktop", *args], input=stdin, capture_output=True, text=True, timeout=60
    )


def test_version() -> None:
    result = cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"flowforge-desktop {__version__}"


def test_every_example_validates(examples_dir: Path) -> None:
    files = sorted(str(p) for p in examples_dir.glob("*.json"))
    assert len(files) >= 3
    result = cli("validate", *files)
    assert result.returncode == 0, result.stdout
    for f in files:
        assert f"{f}: valid" in result.stdout


def test_validate_lists_every_problem_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "format": "flowforge.workflow",
                "version": 1,
                "id": "b",
                "nodes": [
                    {"id": "start", "type": "trigger", "kind": "manual"},
                    {"id": "fetch", "type": "action", "kind": "http", "config": {"url": "htp:/x"}},
                ],
                "connections": [{"from": "start", "to": "fetchh"}],
            }
        )
    )
    result = cli("validate", str(bad))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{bad}: error: nodes[1].config.url: invalid URL 'htp:/x'",
        f"{bad}: error: Connection 0: Target node not found: fetchh",
        f"{bad}: 2 error(s)",
    ]
    assert "Traceback" not in result.stderr


def test_validate_reports_invalid_json_with_position(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"nodes": [}')
    result = cli("validate", str(bad))
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == f"{bad}: error: invalid JSON at line 1, column 12: Expecting value"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "/no/such/file.json"], "flowforge-desktop: /no/such/file.json: no such file"),
        (["export", "/tmp"], "flowforge-desktop: /tmp: is a folder, not a workflow file"),
    ],
)
def test_user_errors_are_one_line_without_traceback(args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.returncode == 2
    assert result.stderr.strip() == message


def test_export_normalizes_and_migrates(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "nodes": [
                    {"id": "call", "type": "action", "action_type": "http", "config": {"url": "https://x.example"}}
                ],
                "connections": [],
            }
        )
    )
    out = tmp_path / "out.json"
    result = cli("export", str(seed), "-o", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert (data["format"], data["version"], data["nodes"][0]["kind"]) == ("flowforge.workflow", 1, "http")
    again = cli("export", str(out))
    assert again.stdout == out.read_text()


def test_export_refuses_a_broken_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"nodes": [], "connections": [{"from": "a", "to": "b"}]}))
    result = cli("export", str(bad))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"flowforge-desktop: {bad}: cannot export, the file has errors:",
        "  Connection 0: Source node not found: a",
        "  Connection 0: Target node not found: b",
    ]


def test_schema_describes_the_format_and_each_kind() -> None:
    result = cli("schema")
    schema = json.loads(result.stdout)
    assert schema["required"] == ["id", "nodes", "connections"]
    assert set(schema["properties"]) >= {"format", "version", "nodes", "connections", "settings", "pinned"}
    assert "config_http" in schema["$defs"] and schema["$defs"]["config_http"]["required"] == ["url"]


def test_nodes_table_lists_kinds_fields_and_defaults() -> None:
    result = cli("nodes")
    assert result.returncode == 0
    assert "http  (action, v1)  HTTP request — in: in  out: out" in result.stdout
    assert "    method            one of 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'" in result.stdout
    assert "default 30" in result.stdout

"""Run command: starts a program on this machine.

It runs with the same rights as the app: it can read, change and delete anything the user can.
Without ``shell`` the argv list is run directly (no globbing, pipes or variable expansion), which
keeps rendered templates from being read as shell syntax.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from typing import Any, ClassVar

from pydantic import Field, model_validator

from flowforge_desktop.nodes.base import NodeCategory, NodeConfig, NodeContext, NodeError, NodeKind


class RunCommandConfig(NodeConfig):
    argv: list[str] = Field(
        ..., min_length=1, description="Program and arguments, e.g. ['python3', 'report.py', '{{ input.path }}']."
    )
    shell: bool = Field(False, description="Run argv[0] as a shell command line (sh -c). Only with trusted input.")
    cwd: str = Field("", description="Working folder; empty: the app's current folder.")
    env: dict[str, str] = Field({}, description="Extra environment variables (refer to secrets by name).")
    inherit_env: bool = Field(True, description="Start from the app's environment; false: only `env` and PATH.")
    stdin: str | None = Field(None, description="Text sent to the program's standard input.")
    timeout: float = Field(60, gt=0, description="Seconds before the program is killed.")
    fail_on_exit_code: bool = Field(True, description="Treat a non-zero exit code as an error.")
    max_output_bytes: int = Field(1_000_000, ge=0, description="stdout / stderr kept per stream; the rest is cut.")

    @model_validator(mode="after")
    def _shell_takes_one(self) -> RunCommandConfig:
        if self.shell and len(self.argv) != 1:
            raise ValueError("with shell true, argv must hold exactly one command line")
        return self


class RunCommandAction(NodeKind):
    kind = "run_command"
    category = NodeCategory.ACTION
    title = "Run command"
    description = "Runs a program with arguments; outputs exit code, stdout and stderr. It can change this machine."
    icon = "run_command.svg"
    Config = RunCommandConfig
    example: ClassVar[dict[str, Any]] = {
        "argv": ["python3", "scripts/report.py", "{{ input.path }}"],
        "cwd": "~/reports",
        "timeout": 120,
    }

    async def run(self, ctx: NodeContext, inputs: dict[str, Any]) -> Any:
        c = self.config
        env = dict(os.environ) if c.inherit_env else {"PATH": os.environ.get("PATH", os.defpath)}
        env.update(c.env)
        cwd = os.path.expanduser(c.cwd) if c.cwd else None
        if cwd and not os.path.isdir(cwd):
            raise NodeError(f"cwd: folder '{cwd}' does not exist")
        kwargs: dict[str, Any] = {
            "stdin": asyncio.subprocess.PIPE if c.stdin is not None else asyncio.subprocess.DEVNULL,
            "stdout": asyncio.subprocess.PIPE,
            "stderr": asyncio.subprocess.PIPE,
            "cwd": cwd,
            "env": env,
        }
        if sys.platform != "win32":
            kwargs["start_new_session"] = True  # so a timeout kills the program's children too
        try:
            if c.shell:
                proc = await asyncio.create_subprocess_shell(c.argv[0], **kwargs)
            else:
                proc = await asyncio.create_subprocess_exec(*c.argv, **kwargs)
        except FileNotFoundError:
            raise NodeError(f"argv[0]: program '{c.argv[0]}' not found (give a full path or fix PATH)") from None
        except PermissionError:
            raise NodeError(f"argv[0]: '{c.argv[0]}' is not executable by this user") from None
        try:
            stdout, stderr = await asyncio.wait_for(
                proc.communicate(c.stdin.encode() if c.stdin is not None else None), c.timeout
            )
        except (TimeoutError, asyncio.CancelledError) as exc:
            _kill(proc)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(proc.wait(), 5)
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise NodeError(f"'{c.argv[0]}' did not finish within {c.timeout:g} s and was killed") from None
        output = {
            "exit_code": proc.returncode,
            "stdout": _cut(stdout, c.max_output_bytes),
            "stderr": _cut(stderr, c.max_output_bytes),
        }
        if c.fail_on_exit_code and proc.returncode != 0:
            last = output["stderr"].strip().splitlines()[-1:] or output["stdout"].strip().splitlines()[-1:]
            tail = f": {last[0][:300]}" if last else ""
            raise NodeError(f"'{c.argv[0]}' exited with code {proc.returncode}{tail}", details=output)
        return output


def _kill(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if sys.platform != "win32":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()


def _cut(data: bytes, limit: int) -> str:
    text = data[:limit].decode(errors="replace")
    return text + ("\n[… output cut]" if len(data) > limit else "")

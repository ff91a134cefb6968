"""`flowforge-desktop agent`: the background agent without a window, and its workflow list.

  flowforge-desktop agent --headless          run the agent (logs to stdout and the log file; SIGTERM stops it)
  flowforge-desktop agent activate FILE...    add workflow files and arm their triggers
  flowforge-desktop agent deactivate ID|FILE  disarm a workflow (it stays in the list)
  flowforge-desktop agent list                the workflows, active or not, with their triggers
  flowforge-desktop agent key                 print the API key for /api/v1
  flowforge-desktop agent autostart on|off    start FlowForge Desktop at login

When an agent is running, activate/deactivate/list go through its local API so that it re-arms at
once; otherwise they edit the saved list that the next agent start reads.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from typing import Any

from flowforge_desktop.cli import UserError

NAME = "agent"
HELP = "run the background agent headless, or manage the workflows it keeps active"
ACTIONS = ("run", "activate", "deactivate", "list", "key", "autostart")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", default="run", choices=ACTIONS, help="what to do (default: run)")
    parser.add_argument("targets", nargs="*", metavar="ARG", help="workflow files or ids; on|off for autostart")
    parser.add_argument("--headless", action="store_true", help="run without a display (servers, systemd)")
    parser.add_argument("--host", help="listen address of the local API (overrides api_host)")
    parser.add_argument("--port", type=int, help="port of the local API (overrides api_port)")
    parser.add_argument("--json", action="store_true", help="list: print JSON")


def _load_config(args: argparse.Namespace) -> Any:
    from flowforge_desktop.agent.config import ConfigError, load_config

    try:
        config = load_config()
        if args.host:
            config.api_host = args.host
        if args.port is not None:
            config.api_port = args.port
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    except ValueError as exc:  # --port out of range
        raise UserError(f"--port/--host: {exc}") from None
    return config


def run(args: argparse.Namespace) -> int:
    config = _load_config(args)
    if args.action == "run":
        return run_headless(config)
    if args.action == "key":
        from flowforge_desktop.agent.config import ensure_api_key

        key, source = ensure_api_key(config)
        print(key)
        print(f"(kept in the {source})", file=sys.stderr)
        return 0
    if args.action == "autostart":
        from flowforge_desktop.agent import autostart

        if args.targets not in (["on"], ["off"]):
            raise UserError("agent autostart needs 'on' or 'off'")
        path = autostart.set_enabled(args.targets == ["on"])
        print(f"autostart {'enabled' if args.targets == ['on'] else 'disabled'}: {path}")
        return 0
    if args.action in ("activate", "deactivate") and not args.targets:
        raise UserError(f"agent {args.action} needs at least one workflow file or id")
    return asyncio.run(_manage(config, args))


# --- managing the list ------------------------------------------------------------------------------


async def _manage(config: Any, args: argparse.Namespace) -> int:
    client = await _running_agent(config)
    if client is not None:
        try:
            return await _manage_remote(client, args)
        finally:
            await client.aclose()
    return await _manage_offline(config, args)


async def _running_agent(config: Any) -> Any:
    """An httpx client for the running agent's API, or None when no agent answers."""
    import httpx

    from flowforge_desktop.agent.config import ensure_api_key

    host = "127.0.0.1" if config.api_host in ("0.0.0.0", "::") else config.api_host
    if config.api_port == 0:
        return None
    client = httpx.AsyncClient(base_url=f"http://{host}:{config.api_port}", timeout=10.0)
    try:
        r = await client.get("/health", timeout=0.5)
        if r.status_code != 200 or r.json().get("status") != "ok":
            raise httpx.HTTPError("not a FlowForge agent")
    except (httpx.HTTPError, ValueError):
        await client.aclose()
        return None
    key, _ = ensure_api_key(config)
    client.headers["Authorization"] = f"Bearer {key}"
    return client


async def _manage_remote(client: Any, args: argparse.Namespace) -> int:
    if args.action == "list":
        r = await client.get("/api/v1/workflows")
        _check(r)
        _print_list(r.json()["workflows"], args.json)
        return 0
    status = 0
    for target in args.targets:
        if args.action == "activate":
            r = await client.post("/api/v1/workflows", json={"path": _abspath(target), "active": True})
        else:
            wf_id = await _id_for(client, target)
            r = await client.post(f"/api/v1/workflows/{wf_id}/deactivate")
        if r.status_code >= 400:
            print(f"{target}: {r.json().get('error', r.text)}", file=sys.stderr)
            status = 2
        else:
            _print_result(args.action, r.json())
    return status


async def _id_for(client: Any, target: str) -> str:
    r = await client.get("/api/v1/workflows")
    _check(r)
    for wf in r.json()["workflows"]:
        if target in (wf["id"], wf["path"]) or _abspath(target) == wf["path"]:
            return str(wf["id"])
    return target


def _check(r: Any) -> None:
    if r.status_code >= 400:
        raise UserError(f"the running agent answered {r.status_code}: {r.text}")


async def _manage_offline(config: Any, args: argparse.Namespace) -> int:
    from flowforge_desktop.agent.supervisor import Supervisor, WorkflowRefused

    sup = Supervisor(engine=None, server=None, config=config)
    await asyncio.to_thread(sup._load_state)
    status = 0
    for entry in sup.entries.values():
        try:
            await sup._load_entry(entry)
        except WorkflowRefused as exc:
            entry.error = str(exc)
    if args.action == "list":
        _print_list(sup.describe_workflows(), args.json)
        return 0
    for target in args.targets:
        try:
            if args.action == "activate":
                entry = await _offline_add(sup, target)
            else:
                entry = sup.find(target)
                entry.active = False
        except WorkflowRefused as exc:
            print(str(exc), file=sys.stderr)
            status = 2
            continue
        except KeyError:
            print(f"{target}: not in the agent's list (see 'flowforge-desktop agent list')", file=sys.stderr)
            status = 2
            continue
        _print_result(args.action, sup.describe(entry))
    await asyncio.to_thread(sup._save_state)
    print("(no agent is running; the change applies when it starts)", file=sys.stderr)
    return status


async def _offline_add(sup: Any, target: str) -> Any:
    from pathlib import Path

    from flowforge_desktop.agent.supervisor import WorkflowEntry, WorkflowRefused

    path = Path(target).expanduser().resolve()
    entry = sup.entries.get(str(path)) or WorkflowEntry(path)
    await sup._load_entry(entry)
    for other in sup.entries.values():
        if other is not entry and other.workflow_id == entry.workflow_id and other.workflow_id:
            raise WorkflowRefused(f"{path}: workflow id '{entry.workflow_id}' is already used by {other.path}")
    entry.active = True
    sup.entries[str(path)] = entry
    return entry


def _abspath(target: str) -> str:
    from pathlib import Path

    return str(Path(target).expanduser().resolve())


def _print_result(action: str, wf: dict[str, Any]) -> None:
    verb = "activated" if action == "activate" else "deactivated"
    print(f"{verb}: {wf['name'] or wf['path']} ({wf['id']}) — {wf['path']}")


def _print_list(workflows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print(json.dumps(workflows, indent=2))
        return
    if not workflows:
        print("no workflows; add one with 'flowforge-desktop agent activate FILE'")
        return
    for wf in workflows:
        mark = "active  " if wf["active"] else "inactive"
        print(f"{mark} {wf['name'] or '?'} ({wf['id']}) — {wf['path']}")
        if wf.get("error"):
            print(f"         error: {wf['error']}")
        for t in wf.get("triggers", []):
            extra = f" next {t['next_fire']}" if t.get("next_fire") else ""
            err = f" error: {t['error']}" if t.get("error") else ""
            print(f"         {t['kind']} {t['node_id']}: {t['state']}{extra}{err}")


# --- running headless -------------------------------------------------------------------------------


def run_headless(config: Any) -> int:
    from flowforge_desktop.logsetup import setup_logging

    log_file = setup_logging(config.log_level, stdout=True)  # the app's one rotating log file, plus stdout
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    log = logging.getLogger("flowforge_desktop.agent")
    log.info("FlowForge agent starting (headless); log file %s", log_file)
    return asyncio.run(_serve(config))


async def _serve(config: Any) -> int:
    from flowforge_desktop.agent.config import ConfigError
    from flowforge_desktop.agent.runtime import Agent
    from flowforge_desktop.agent.server import ServerStartError

    log = logging.getLogger("flowforge_desktop.agent")
    try:
        agent = Agent(config)
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    try:
        await agent.start()
    except ServerStartError as exc:
        await agent.stop(grace=0)
        raise UserError(str(exc)) from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl+C still raises KeyboardInterrupt
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
    log.info(
        "agent running: %d active workflow(s), API on %s (key in the %s)",
        sum(1 for e in agent.supervisor.entries.values() if e.active),
        agent.server.url if agent.server else "-",
        agent.api_key_source,
    )
    await stop.wait()
    log.info("stopping: waiting up to %.1f s for running executions", config.shutdown_grace)
    interrupted = await agent.stop()
    agent.close_store()
    log.info("agent stopped (%d execution(s) interrupted)", len(interrupted))
    return 0

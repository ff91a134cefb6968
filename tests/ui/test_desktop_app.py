"""The whole desktop app in one process: agent, designer, run/debug and tray on one qasync loop."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
import qasync
from PySide6.QtWidgets import QApplication

from flowforge_desktop.ui.desktop import start_desktop
from flowforge_desktop.ui.single_instance import SingleInstance


@pytest.fixture(autouse=True)
def _free_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWFORGE_API_PORT", "0")
    monkeypatch.setenv("FLOWFORGE_SECRET_WEBHOOK_SECRET", "s3cret")


def test_the_app_serves_runs_and_quits_cleanly(qapp: QApplication, examples_dir: Path, tmp_path: Path) -> None:
    single = SingleInstance()
    assert single.acquire([])
    source = tmp_path / "webhook_forward.json"
    source.write_text((examples_dir / "webhook_forward.json").read_text())

    async def scenario() -> dict[str, Any]:
        desktop = await start_desktop(qapp, str(source), single)
        window, agent = desktop.window, desktop.agent
        seen: dict[str, Any] = {"title": window.windowTitle(), "visible": window.isVisible()}
        async with httpx.AsyncClient() as client:
            seen["health"] = (await client.get(f"{agent.server.url}/health")).json()
        seen["menus"] = [a.text() for a in window.menuBar().actions()]
        seen["file"] = [a.text() for a in window.menuBar().actions()[0].menu().actions() if a.text()]
        seen["engine_shared"] = desktop.rundebug.engine is agent.engine
        seen["recent"] = window.recent_files()
        desktop.activate_action.setChecked(True)  # Run ▸ Keep triggers armed
        for _ in range(300):
            if "orders" in agent.server.webhooks:
                break
            await asyncio.sleep(0.01)
        seen["armed"] = sorted(agent.server.webhooks)
        async with httpx.AsyncClient() as client:
            unsigned = await client.post(f"{agent.server.url}/webhooks/orders", json={"id": 1})
        seen["unsigned"] = unsigned.status_code
        desktop.activate_action.setChecked(False)
        for _ in range(300):
            if "orders" not in agent.server.webhooks:
                break
            await asyncio.sleep(0.01)
        seen["after_deactivate"] = sorted(agent.server.webhooks)
        # a run the agent made in the background (as from the tray's Run now), opened from "Recent runs"
        queued = await agent.supervisor.run_now(str(source), {"body": {"event": "order.deleted"}})
        started = await queued.started
        execution_id = getattr(started, "execution_id", started)
        for _ in range(300):
            row = agent.store.get_execution(execution_id)
            if row is not None and row["status"] != "running":
                break
            await asyncio.sleep(0.01)
        desktop.open_run(execution_id)
        seen["banner"] = desktop.rundebug.banner.text()
        seen["viewing"] = desktop.rundebug.viewing is not None and desktop.rundebug.viewing.execution_id
        seen["url"] = agent.server.url
        quitting = asyncio.ensure_future(desktop.quit())  # as the tray's Quit does
        await desktop.closed.wait()
        seen["quit_task"] = quitting
        return seen

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        seen = runner.run(scenario())
    assert seen["visible"] and "webhook_forward.json" in seen["title"]
    assert seen["health"] == {"status": "ok"}
    assert "&Run" in seen["menus"]
    assert seen["file"][-2:] == ["&Settings…", "&Quit"]
    assert seen["engine_shared"] is True
    assert seen["recent"] == [str(source.resolve())]  # the file given on the command line opened
    assert seen["armed"] == ["orders"] and seen["unsigned"] == 401  # armed from the designer, checked by the server
    assert seen["after_deactivate"] == []
    assert seen["banner"].startswith("viewing run ") and "Back to editing" in seen["banner"]
    assert seen["viewing"] == seen["banner"].split()[2] or seen["viewing"].startswith(seen["banner"].split()[2])
    with pytest.raises(httpx.TransportError):  # the agent stopped its server on the way out
        httpx.get(f"{seen['url']}/health", timeout=2)

"""The tray under a real X server (Xvfb) with trayer as the tray host: icon embedded, menu actions work.

Needs the apt packages xvfb, trayer and libxcb-cursor0 (.ci/run installs them); skipped with the
reason when they are missing. The app runs in a child process (its own display, the xcb platform).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
HERE = Path(__file__).resolve().parent
SUPPORT = HERE.parent / "integration"
SHOTS = Path(os.environ.get("FLOWFORGE_SHOTS_DIR", "")) if os.environ.get("FLOWFORGE_SHOTS_DIR") else None


@pytest.fixture
def x_display() -> Iterator[str]:
    missing = [tool for tool in ("Xvfb", "trayer") if shutil.which(tool) is None]
    if missing:
        message = f"needs {' and '.join(missing)} (apt packages: xvfb, trayer; .ci/run installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message + ": on a developer machine without them the tray cannot be shown")
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    if not number:
        xvfb.kill()
        pytest.fail("Xvfb is installed but did not start (no display number on -displayfd)")
    display = f":{number}"
    trayer = subprocess.Popen(
        ["trayer", "--edge", "top", "--widthtype", "request", "--height", "24", "--SetDockType", "true"],
        env={**os.environ, "DISPLAY": display},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield display
    finally:
        for proc in (trayer, xvfb):
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


APP_SCRIPT = r"""
import asyncio, json, os, sys, time
sys.path.insert(0, SUPPORT)
from PySide6.QtWidgets import QApplication, QMainWindow, QLabel, QSystemTrayIcon
import qasync
from agent_support import agent_config, make_registry, node, write_workflow, wait_for
from flowforge_desktop.agent.runtime import Agent
from flowforge_desktop.ui.tray import install_tray

report = {}
def out(key, value):
    report[key] = value

app = QApplication(sys.argv)
deadline = time.monotonic() + 10
while not QSystemTrayIcon.isSystemTrayAvailable() and time.monotonic() < deadline:
    app.processEvents(); time.sleep(0.05)
out("available", QSystemTrayIcon.isSystemTrayAvailable())

async def main():
    tmp = os.environ["WORKDIR"]
    ok = write_workflow(Path(tmp) / "ok.json", "wf-ok", [node("go", "manual"), node("e", "test_echo")], [("go", "e")])
    failing = [node("go", "manual"), node("e", "test_echo", {"fail": True})]
    bad = write_workflow(Path(tmp) / "bad.json", "wf-bad", failing, [("go", "e")])
    agent = Agent(agent_config(), registry=make_registry(), state_dir=Path(tmp) / "state")
    await agent.start()
    await agent.supervisor.add(ok)
    await agent.supervisor.add(bad)
    opened = {"designer": 0, "runs": []}
    tray = install_tray(app, agent, lambda: opened.__setitem__("designer", opened["designer"] + 1),
                        lambda eid: opened["runs"].append(eid))
    window = QMainWindow(); window.setCentralWidget(QLabel("designer")); window.resize(300, 200)
    tray.attach_window(window)
    window.show()
    await asyncio.sleep(0.5)
    out("visible", tray.tray.isVisible())
    geo = tray.tray.geometry()
    out("geometry", [geo.x(), geo.y(), geo.width(), geo.height()])
    out("state0", str(tray.state))

    tray.find_action("open_designer").trigger()
    out("designer_opened", opened["designer"])

    finished = []
    agent.supervisor.add_listener(lambda what, data: what == "run_finished" and finished.append(data))
    tray.find_action("workflows/workflow:wf-ok/run_now").trigger()
    await wait_for(lambda: finished, what="run now")
    out("run_now_status", finished[0]["status"])
    await asyncio.sleep(0.2)
    recent = tray.find_action(f"recent/run:{finished[0]['execution_id']}")
    recent.trigger()
    out("recent_opened", opened["runs"] == [finished[0]["execution_id"]])

    tray.find_action("workflows/workflow:wf-bad/run_now").trigger()
    await wait_for(lambda: len(finished) == 2, what="the failing run")
    await asyncio.sleep(0.2)
    out("state_after_failure", str(tray.state))
    out("tooltip", tray.tray.toolTip())
    tray._message_clicked()   # what clicking the notification does
    out("failure_opened", opened["runs"][-1] == finished[1]["execution_id"])

    if os.environ.get("SHOTS"):
        shots = Path(os.environ["SHOTS"])
        shots.mkdir(parents=True, exist_ok=True)
        geo = tray.tray.geometry()
        screen = app.primaryScreen().grabWindow(0)
        screen.copy(max(0, geo.x() - 60), 0, geo.width() + 120, geo.height() + 8).scaled(
            (geo.width() + 120) * 3, (geo.height() + 8) * 3).save(str(shots / "tray-icon.png"))
        tray.menu.popup(geo.bottomLeft())
        await asyncio.sleep(0.3)
        tray.menu.grab().save(str(shots / "tray-menu.png"))
        tray.menu.hide()
        workflows = next(a.menu() for a in tray.menu.actions() if a.menu() and a.menu().objectName() == "workflows")
        workflows.popup(geo.bottomLeft())
        await asyncio.sleep(0.3)
        workflows.grab().save(str(shots / "tray-menu-workflows.png"))
        workflows.hide()
        recent_menu = next(a.menu() for a in tray.menu.actions() if a.menu() and a.menu().objectName() == "recent")
        recent_menu.popup(geo.bottomLeft())
        await asyncio.sleep(0.3)
        recent_menu.grab().save(str(shots / "tray-menu-recent.png"))
        recent_menu.hide()

    toggle = tray.find_action("workflows/workflow:wf-ok/toggle")
    toggle.trigger()
    await asyncio.sleep(0.3)
    out("deactivated", agent.supervisor.find("wf-ok").active is False)
    tray.find_action("pause").trigger()
    await asyncio.sleep(0.3)
    out("paused", agent.supervisor.paused)
    out("state_paused", str(tray.state))

    window.close()
    await asyncio.sleep(0.3)
    out("window_hidden_app_alive", (not window.isVisible()) and not app.closingDown())
    out("notice_shown", getattr(tray, "hidden_notice_shown", False))
    print("REPORT " + json.dumps(report), flush=True)
    tray.find_action("quit").trigger()

from pathlib import Path
loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)
with loop:
    loop.create_task(main())
    loop.run_forever()
print("EXITED", flush=True)
"""


def test_tray_icon_embeds_and_menu_actions_work(x_display: str, tmp_path: Path) -> None:
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb", "WORKDIR": str(tmp_path),
           "FLOWFORGE_KEY_STORAGE": "file"}  # fmt: skip
    if SHOTS:
        env["SHOTS"] = str(SHOTS)
    result = subprocess.run(
        [sys.executable, "-c", f"SUPPORT = {str(SUPPORT)!r}\n" + APP_SCRIPT],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("REPORT ")), None)
    assert line, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr[-3000:]}"
    report = json.loads(line[len("REPORT ") :])
    assert report["available"] is True
    assert report["visible"] is True
    _x, _y, w, h = report["geometry"]
    assert w > 0 and h > 0, report["geometry"]  # embedded in trayer, not floating nowhere
    assert report["state0"] == "idle"
    assert report["designer_opened"] == 1
    assert report["run_now_status"] == "succeeded"
    assert report["recent_opened"] is True
    assert report["state_after_failure"] == "error"
    assert "2 active workflows · 0 running · 0 queued" in report["tooltip"]
    assert "1 failed run" in report["tooltip"]
    assert report["failure_opened"] is True
    assert report["deactivated"] is True
    assert report["paused"] is True and report["state_paused"] == "paused"
    assert report["window_hidden_app_alive"] is True
    assert report["notice_shown"] is True
    assert "EXITED" in result.stdout and result.returncode == 0, result.stderr[-2000:]

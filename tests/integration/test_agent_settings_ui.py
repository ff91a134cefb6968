"""The Settings dialog and the no-tray fallback, with a real Qt app (offscreen)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
from agent_support import agent_config, make_registry

pytest.importorskip("PySide6")

from PySide6.QtWidgets import QApplication, QMainWindow

from flowforge_desktop.agent import autostart
from flowforge_desktop.agent.config import AgentConfig, key_file, load_config
from flowforge_desktop.agent.runtime import Agent
from flowforge_desktop.ui.settings_dialog import SettingsDialog
from flowforge_desktop.ui.tray import NO_TRAY_MESSAGE, TrayState, install_tray, make_icon

SHOTS = os.environ.get("FLOWFORGE_SHOTS_DIR")


def test_settings_dialog_saves_config_and_autostart(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    dialog = SettingsDialog(AgentConfig(key_storage="file"), path)
    qtbot.addWidget(dialog)
    assert dialog.key.text() == key_file().read_text().strip()
    assert dialog.key_source.text() == "kept in the file"
    dialog.show_button.click()
    assert dialog.key_visible and dialog.show_button.text() == "Hide"
    old_key = dialog.key.text()
    dialog.findChild(type(dialog.show_button), "regenerate_key").click()
    assert dialog.key.text() != old_key and key_file().read_text().strip() == dialog.key.text()
    if SHOTS:
        dialog.show_button.click()
        dialog.grab().save(str(Path(SHOTS) / "settings-dialog.png"))
    dialog.port.setValue(8123)
    dialog.log_level.setCurrentText("DEBUG")
    dialog.autostart.setChecked(True)
    saved: list[AgentConfig] = []
    dialog.saved.connect(saved.append)
    assert dialog.save() is True
    assert json.loads(path.read_text()) == {"api_port": 8123, "log_level": "DEBUG", "autostart": True,
                                            "key_storage": "file"}  # fmt: skip
    assert load_config(path, environ={}).api_port == 8123
    assert autostart.is_enabled() and saved[0].api_port == 8123
    assert "api_key" not in path.read_text()


def test_settings_dialog_shows_a_bad_value_instead_of_saving(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    dialog = SettingsDialog(AgentConfig(key_storage="file"), path)
    qtbot.addWidget(dialog)
    dialog.host.setText("   ")
    assert dialog.save() is False
    assert dialog.error.text() == "api_host: String should have at least 1 character"
    assert not path.exists()


def test_without_a_tray_the_app_says_so_and_closing_quits(qtbot: Any, tmp_path: Path) -> None:
    app = QApplication.instance()
    assert app is not None

    async def scenario() -> None:
        agent = Agent(agent_config(), registry=make_registry(), state_dir=tmp_path / "state")
        await agent.start()
        quits: list[bool] = []
        tray = install_tray(app, agent, lambda: None, lambda eid: None, on_quit=lambda: quits.append(True))
        try:
            assert tray.available is False  # offscreen: no tray host
            assert app.quitOnLastWindowClosed() is True
            window = QMainWindow()
            qtbot.addWidget(window)
            tray.attach_window(window)
            window.show()
            assert window.statusBar().currentMessage() == NO_TRAY_MESSAGE
            window.close()
            assert quits == [True]  # closing quits (stopping the agent) instead of hiding
            assert not window.isVisible()
        finally:
            tray.dispose()
            await agent.stop(grace=0)
            app.setQuitOnLastWindowClosed(True)

    asyncio.run(scenario())


def test_state_icons_differ(qtbot: Any) -> None:
    images = {state: make_icon(state).pixmap(22, 22).toImage() for state in TrayState}
    colors = {state: img.pixelColor(3, 11).name() for state, img in images.items()}
    assert len(set(colors.values())) == 4, colors
    if SHOTS:
        from PySide6.QtGui import QColor, QPainter, QPixmap

        strip = QPixmap(4 * 72, 72)
        strip.fill(QColor("white"))
        p = QPainter(strip)
        for i, state in enumerate(TrayState):
            p.drawPixmap(i * 72 + 4, 4, make_icon(state).pixmap(64, 64))
        p.end()
        strip.save(str(Path(SHOTS) / "tray-states.png"))


def test_menu_rebuilds_do_not_pile_up_submenus(qtbot: Any, tmp_path: Path) -> None:
    from agent_support import node, write_workflow
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QMenu

    app = QApplication.instance()

    async def scenario() -> None:
        agent = Agent(agent_config(), registry=make_registry(), state_dir=tmp_path / "state")
        await agent.start()
        for i in range(3):
            wf = write_workflow(tmp_path / f"w{i}.json", f"wf-{i}", [node("h", "webhook", {"webhook_id": f"h{i}"})])
            await agent.supervisor.add(wf)
        tray = install_tray(app, agent, lambda: None, lambda eid: None, on_quit=lambda: None)
        try:
            for _ in range(3):
                tray.refresh()
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            first = len(tray.menu.findChildren(QMenu))
            for _ in range(40):
                tray.refresh()
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            assert len(tray.menu.findChildren(QMenu)) == first == 5  # Workflows, 3 workflows, Recent runs
            labels = [a.text() for a in tray.find_action("workflows/workflow:wf-1/toggle").parent().actions()]
            assert labels == ["Active", "Run now"]
        finally:
            tray.dispose()
            await agent.stop(grace=0)
            app.setQuitOnLastWindowClosed(True)

    asyncio.run(scenario())

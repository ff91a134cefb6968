"""Start at login: an XDG autostart .desktop file in ~/.config/autostart (or $XDG_CONFIG_HOME/autostart)."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

DESKTOP_NAME = "flowforge-desktop.desktop"


def autostart_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart" / DESKTOP_NAME


def launch_command() -> str:
    exe = shutil.which("flowforge-desktop")
    if exe:
        return f"{shlex.quote(exe)} gui --minimized"
    return f"{shlex.quote(sys.executable)} -m flowforge_desktop gui --minimized"


def desktop_entry(command: str | None = None) -> str:
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=FlowForge Desktop\n"
        "Comment=Keeps your workflows' schedules, file watches and webhooks running\n"
        f"Exec={command or launch_command()}\n"
        "Icon=flowforge-desktop\n"
        "Terminal=false\n"
        "Categories=Development;Utility;\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def is_enabled() -> bool:
    return autostart_path().is_file()


def set_enabled(enabled: bool, command: str | None = None) -> Path:
    path = autostart_path()
    if enabled:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(desktop_entry(command), encoding="utf-8")
        os.replace(tmp, path)
    else:
        path.unlink(missing_ok=True)
    return path

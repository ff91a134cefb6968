"""Single instance with real processes: the second launch hands its file to the first and exits."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

FIRST = r"""
import json, sys
from PySide6.QtCore import QCoreApplication, QTimer
from flowforge_desktop.ui.single_instance import SingleInstance
app = QCoreApplication(sys.argv)
instance = SingleInstance()
print("FIRST" if instance.acquire([]) else "SECOND", flush=True)
got = []
def on_message(message):
    got.append(message)
    print("GOT " + json.dumps(message), flush=True)
    if len(got) == int(sys.argv[1]):
        QTimer.singleShot(0, app.quit)
instance.message_received.connect(on_message)
QTimer.singleShot(30000, app.quit)
app.exec()
"""

SECOND = r"""
import sys
from PySide6.QtCore import QCoreApplication
from flowforge_desktop.ui.single_instance import SingleInstance
app = QCoreApplication(sys.argv)
first = SingleInstance().acquire(sys.argv[1:])
print("FIRST" if first else "HANDED OVER", flush=True)
"""


def start_first(expected: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", FIRST, str(expected)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "FIRST"  # type: ignore[union-attr]
    return proc


def second(*files: str) -> str:
    result = subprocess.run([sys.executable, "-c", SECOND, *files], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_second_launch_hands_its_file_to_the_first(tmp_path: Path) -> None:
    wf = tmp_path / "flow.json"
    wf.write_text("{}")
    first = start_first(expected=2)
    try:
        assert second(str(wf)) == "HANDED OVER"
        assert second() == "HANDED OVER"
        out, _ = first.communicate(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    messages = [json.loads(line[4:]) for line in out.splitlines() if line.startswith("GOT ")]
    assert messages == [{"command": "open", "files": [str(wf.resolve())]}, {"command": "raise"}]


def test_a_crashed_first_instance_does_not_block_the_next_start() -> None:
    first = start_first(expected=1)
    first.send_signal(signal.SIGKILL)  # leaves its socket file behind
    first.wait()
    assert second() == "FIRST"

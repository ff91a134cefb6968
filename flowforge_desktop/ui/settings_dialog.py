"""Settings: the agent's config.json (API address, API key, autostart, log level, queue) in a dialog,
and the secrets workflows use (stored in the OS keyring at once, not on Save).

Open it with ``dialog.open()`` (never ``exec()``: a nested loop inside a qasync coroutine breaks).
Saving validates with the same pydantic model the agent loads with and shows the problem in the
dialog instead of closing; host, port and queue changes apply when the agent next starts.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from flowforge_desktop.agent import autostart
from flowforge_desktop.agent.config import (
    AgentConfig,
    config_path,
    ensure_api_key,
    env_overrides,
    read_file_settings,
    regenerate_api_key,
    save_config,
)
from flowforge_desktop.ui.secrets_panel import SecretsPanel

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsDialog(QDialog):
    saved = Signal(object)  # the new AgentConfig

    def __init__(self, config: AgentConfig, path: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("FlowForge Desktop — Settings")
        self.setObjectName("settings_dialog")
        self.config = config.model_copy()
        self.path = path or config_path()
        self.key_visible = False

        self.host = QLineEdit(config.api_host)
        self.host.setObjectName("api_host")
        self.port = QSpinBox()
        self.port.setObjectName("api_port")
        self.port.setRange(0, 65535)
        self.port.setValue(config.api_port)
        self.key = QLineEdit()
        self.key.setObjectName("api_key")
        self.key.setReadOnly(True)
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setMinimumWidth(320)
        key, source = ensure_api_key(self.config)
        self.key.setText(key)
        self.key_source = QLabel(f"kept in the {source}")
        show = QPushButton("Show")
        show.setObjectName("show_key")
        show.clicked.connect(self._toggle_key)
        self.show_button = show
        copy = QPushButton("Copy")
        copy.setObjectName("copy_key")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.key.text()))
        regen = QPushButton("New key")
        regen.setObjectName("regenerate_key")
        regen.setToolTip("Make a new key; clients using the old one get 401 until they are updated.")
        regen.clicked.connect(self._regenerate)
        key_row = QHBoxLayout()
        for w in (self.key, show, copy, regen):
            key_row.addWidget(w)

        self.autostart = QCheckBox("Start FlowForge Desktop when I log in")
        self.autostart.setObjectName("autostart")
        self.autostart.setChecked(autostart.is_enabled())
        self.log_level = QComboBox()
        self.log_level.setObjectName("log_level")
        self.log_level.addItems(LOG_LEVELS)
        self.log_level.setCurrentText(config.log_level)
        self.queue_size = QSpinBox()
        self.queue_size.setObjectName("queue_size")
        self.queue_size.setRange(1, 100_000)
        self.queue_size.setValue(config.queue_size)
        self.max_runs = QSpinBox()
        self.max_runs.setObjectName("max_concurrent_runs")
        self.max_runs.setRange(1, 256)
        self.max_runs.setValue(config.max_concurrent_runs)
        self.grace = QDoubleSpinBox()
        self.grace.setObjectName("shutdown_grace")
        self.grace.setRange(0, 3600)
        self.grace.setSuffix(" s")
        self.grace.setValue(config.shutdown_grace)
        self.rate = QSpinBox()
        self.rate.setObjectName("rate_limit")
        self.rate.setRange(1, 1_000_000)
        self.rate.setValue(config.rate_limit)

        form = QFormLayout()
        form.addRow("API address", self.host)
        form.addRow("API port", self.port)
        form.addRow("API key", key_row)
        form.addRow("", self.key_source)
        form.addRow(f"API requests per {config.rate_limit_window:g} s", self.rate)
        form.addRow("Log level", self.log_level)
        form.addRow("Queued runs (max)", self.queue_size)
        form.addRow("Runs at once", self.max_runs)
        form.addRow("Shutdown grace", self.grace)
        form.addRow("", self.autostart)

        overridden = sorted(var for var, _ in env_overrides().values())
        self.env_note = QLabel(
            "Set by the environment (wins over these settings): " + ", ".join(overridden) if overridden else ""
        )
        self.env_note.setWordWrap(True)
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setStyleSheet("color: #b91c1c")
        self.error.setWordWrap(True)
        note = QLabel(f"Saved in {self.path}. Address, port and queue changes apply when the agent restarts.")
        note.setWordWrap(True)
        note.setStyleSheet("color: palette(mid)")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons

        self.secrets = SecretsPanel()
        secrets_box = QGroupBox("Secrets")
        QVBoxLayout(secrets_box).addWidget(self.secrets)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(secrets_box)
        layout.addWidget(self.env_note)
        layout.addWidget(self.error)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())

    def _toggle_key(self) -> None:
        self.key_visible = not self.key_visible
        self.key.setEchoMode(QLineEdit.EchoMode.Normal if self.key_visible else QLineEdit.EchoMode.Password)
        self.show_button.setText("Hide" if self.key_visible else "Show")

    def _regenerate(self) -> None:
        self.key.setText(regenerate_api_key(self.config))

    def values(self) -> dict[str, object]:
        return {
            "api_host": self.host.text().strip(),
            "api_port": self.port.value(),
            "log_level": self.log_level.currentText(),
            "queue_size": self.queue_size.value(),
            "max_concurrent_runs": self.max_runs.value(),
            "shutdown_grace": self.grace.value(),
            "rate_limit": self.rate.value(),
            "autostart": self.autostart.isChecked(),
        }

    def save(self) -> bool:
        data = self.config.model_dump()
        data.update(self.values())
        # the key lives in the keyring or its 0600 file; keep one only if the user wrote it in config.json
        data["api_key"] = read_file_settings(self.path).get("api_key") if self.path.exists() else None
        try:
            new = AgentConfig.model_validate(data)
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            self.error.setText(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}")
            return False
        try:
            save_config(new, self.path)
            autostart.set_enabled(new.autostart)
        except OSError as exc:
            self.error.setText(f"cannot save {self.path}: {exc.strerror or exc}")
            return False
        self.error.setText("")
        self.config = new
        self.saved.emit(new)
        self.accept()
        return True

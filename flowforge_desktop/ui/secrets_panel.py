"""Secrets in the UI: the list in Settings and the inspector's "Secret…" dialog.

Values go to the OS keyring through store/secrets.py and are never shown again (a password field,
nothing read back); workflows refer to them as ``{{ secrets.NAME }}``. Dialogs open with ``open()``,
never ``exec()`` (no nested loop inside qasync).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from flowforge_desktop.store.secrets import (
    ENV_PREFIX,
    SecretStoreError,
    check_name,
    delete_secret,
    secret_names,
    secret_source,
    store_secret,
)

_WHERE = {"keyring": "in the OS keyring", "environment": "from the environment", None: "not set"}


def describe(name: str) -> str:
    source = secret_source(name)
    where = _WHERE[source]
    return f"{name} — {where} ({ENV_PREFIX}{name})" if source == "environment" else f"{name} — {where}"


class SecretForm(QWidget):
    """A name and a value; ``store()`` puts the value in the keyring or says why it cannot."""

    def __init__(self, name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = QLineEdit(name)
        self.name.setObjectName("secret_name")
        self.name.setPlaceholderText("SMTP_PASSWORD")
        self.value = QLineEdit()
        self.value.setObjectName("secret_value")
        self.value.setEchoMode(QLineEdit.EchoMode.Password)
        self.value.setPlaceholderText("the value, kept in the OS keyring")
        self.status = QLabel()
        self.status.setObjectName("secret_status")
        self.status.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("secret_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b91c1c")
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Name", self.name)
        form.addRow("Value", self.value)
        form.addRow("", self.status)
        form.addRow("", self.error)
        self.name.textChanged.connect(self._describe)
        self._describe()

    def _describe(self) -> None:
        name = self.name.text().strip()
        self.error.setText("")
        self.status.setText(describe(name) if name and check_name_ok(name) else "")

    def store(self) -> str | None:
        """Store the value if one was typed; the checked name, or None with the reason shown."""
        try:
            name = check_name(self.name.text())
            if self.value.text():
                store_secret(name, self.value.text())
                self.value.clear()
        except SecretStoreError as exc:
            self.error.setText(str(exc))
            return None
        self._describe()
        return name


def check_name_ok(name: str) -> bool:
    try:
        check_name(name)
    except SecretStoreError:
        return False
    return True


class SecretsPanel(QWidget):
    """Settings → Secrets: the names stored from here or set in the environment; add, replace, remove."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setObjectName("secrets_list")
        self.list.setMaximumHeight(110)
        self.form = SecretForm()
        self.store_button = QPushButton("Store")
        self.store_button.setObjectName("store_secret")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setObjectName("remove_secret")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.store_button)
        hint = QLabel("Use one in a node's settings as {{ secrets.NAME }}; the workflow file keeps the name only.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: palette(mid)")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addWidget(self.form)
        layout.addLayout(buttons)
        layout.addWidget(hint)
        self.store_button.clicked.connect(self.store)
        self.remove_button.clicked.connect(self.remove)
        self.list.currentItemChanged.connect(self._picked)
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        for name in secret_names():
            item = QListWidgetItem(describe(name))
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.list.addItem(item)

    def _picked(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.form.name.setText(item.data(Qt.ItemDataRole.UserRole))
            self.form.value.setFocus()

    def store(self) -> None:
        if not self.form.value.text():
            self.form.error.setText("type the value to store")
            return
        if self.form.store() is not None:
            self.refresh()

    def remove(self) -> None:
        try:
            name = check_name(self.form.name.text())
            if secret_source(name) == "environment":
                raise SecretStoreError(f"{name} comes from the environment ({ENV_PREFIX}{name}): unset it there")
            delete_secret(name)
        except SecretStoreError as exc:
            self.form.error.setText(str(exc))
            return
        self.refresh()
        self.form._describe()


class SecretDialog(QDialog):
    """The inspector's "Secret…": pick a name, optionally store its value, and use the reference."""

    chosen = Signal(str)

    def __init__(self, name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Secret")
        self.form = SecretForm(name)
        note = QLabel(
            "The field will hold {{ secrets.NAME }}; the value stays in the OS keyring (leave it empty "
            "to keep the one stored, or to set it later)."
        )
        note.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.use)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(note)
        layout.addWidget(self.buttons)

    def use(self) -> None:
        name = self.form.store()
        if name is not None:
            self.chosen.emit(name)
            self.accept()

"""The designer's main window: canvas in the middle, palette and inspector docks, menus, toolbar,
status bar, and the file workflow (new, open, save, recent, import, export, autosave recovery).

Every question the window asks the user goes through an attribute (``ask_save_changes``,
``ask_open_path``, ``ask_save_path``, ``ask_recover``, ``ask_text``, ``show_error``) so that tests
and an asyncio front end can replace the modal dialogs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QPointF, QRectF, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QColor, QGuiApplication, QIcon, QImage, QKeySequence, QPainter, QPixmap
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStyle,
    QWidget,
)

from flowforge_desktop.model import codec
from flowforge_desktop.model.changes import Change, DocumentReset, WorkflowRenamed
from flowforge_desktop.model.document import WorkflowDocument
from flowforge_desktop.model.errors import WorkflowLoadError
from flowforge_desktop.nodes.registry import NodeRegistry
from flowforge_desktop.ui.autosave import Autosaver, Recovery, find_recoveries, forget
from flowforge_desktop.ui.commands import RenameWorkflowCommand
from flowforge_desktop.ui.editor import Editor
from flowforge_desktop.ui.inspector import Inspector
from flowforge_desktop.ui.palette import Palette
from flowforge_desktop.ui.scene import NODE_WIDTH, GroupItem, NoteItem, WorkflowScene
from flowforge_desktop.ui.theme import GROUP_COLORS, NOTE_COLORS, CanvasTheme
from flowforge_desktop.ui.view import CanvasView, selected_connections, selected_group_ids, selected_note_ids

APP_TITLE = "FlowForge Desktop"
JSON_FILTER = "Workflow files (*.json);;All files (*)"
MAX_RECENT = 10
AUTOSAVE_MS = 30_000


def _default_settings() -> QSettings:
    return QSettings("FlowForge", "FlowForge Desktop")


class MainWindow(QMainWindow):
    def __init__(
        self,
        settings: QSettings | None = None,
        registry: NodeRegistry | None = None,
        autosave_directory: Path | None = None,
        autosave_interval_ms: int = AUTOSAVE_MS,
    ) -> None:
        super().__init__()
        self.settings = settings or _default_settings()
        self.doc = WorkflowDocument(registry=registry)
        self.path: str | None = None
        self.editor = Editor(self.doc, self)
        self.stack = self.editor.stack
        self.scene = WorkflowScene(self.doc, parent=self)
        self.view = CanvasView(self.scene, self.editor, self)
        self.setCentralWidget(self.view)
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)

        # questions the window asks; replaceable (tests, async front ends)
        self.ask_save_changes: Callable[[], str] = self._ask_save_changes
        self.ask_open_path: Callable[[str], str | None] = self._ask_open_path
        self.ask_save_path: Callable[[str, str], str | None] = self._ask_save_path
        self.ask_recover: Callable[[Recovery], bool] = self._ask_recover
        self.ask_text: Callable[[str, str], str | None] = self._ask_text
        self.show_error: Callable[[str, str], None] = self._show_error

        self.palette_widget = Palette(self.doc.registry, self)
        self.palette_dock = self._dock("Nodes", "palette", self.palette_widget, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.inspector = Inspector(self.editor, self)
        self.inspector_dock = self._dock(
            "Inspector", "inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.resizeDocks([self.palette_dock, self.inspector_dock], [200, 330], Qt.Orientation.Horizontal)

        self.status_zoom = QLabel("100%")
        self.status_count = QLabel("")
        self.statusBar().addPermanentWidget(self.status_count)
        self.statusBar().addPermanentWidget(self.status_zoom)

        self._build_actions()
        self._build_menus()
        self._build_toolbar()

        self.autosaver = Autosaver(autosave_directory)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(autosave_interval_ms)
        self.autosave_timer.timeout.connect(self.autosave_now)
        self.autosave_timer.start()

        self.editor.message.connect(self.show_message)
        self.stack.cleanChanged.connect(self._update_title)
        self.stack.indexChanged.connect(self._update_counts)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.palette_widget.kindActivated.connect(self.add_kind_at_center)
        self.view.zoomChanged.connect(self._show_zoom)
        self.view.filesDropped.connect(self._files_dropped)
        self.view.editNoteRequested.connect(self.edit_note)
        self.view.nodeActivated.connect(self._edit_node)
        self._unsubscribe = self.doc.subscribe(self._on_change)

        self.resize(1280, 800)
        self._restore_window_state()
        self._update_title()
        self._update_counts()

    # ================================================================== construction ===
    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence.StandardKey | str | list | None = None,
        tip: str = "",
        checkable: bool = False,
    ) -> QAction:
        action = QAction(text, self)
        if isinstance(shortcut, list):
            action.setShortcuts([QKeySequence(s) for s in shortcut])
        elif shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        if tip:
            action.setStatusTip(tip)
        if checkable:
            action.toggled.connect(slot)
        else:
            action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        K = QKeySequence.StandardKey
        a = self.actions_by_name = {}
        a["new"] = self._action("&New", self.new_document, K.New)
        a["open"] = self._action("&Open…", self.open_dialog, K.Open)
        a["save"] = self._action("&Save", self.save, K.Save)
        a["save_as"] = self._action("Save &As…", self.save_as, K.SaveAs)
        a["import"] = self._action("&Import nodes from file…", self.import_dialog, "Ctrl+I")
        a["export_json"] = self._action("Export &JSON…", self.export_json_dialog)
        a["export_png"] = self._action("Export canvas as &PNG…", lambda: self.export_image_dialog("png"))
        a["export_svg"] = self._action("Export canvas as S&VG…", lambda: self.export_image_dialog("svg"))
        a["rename"] = self._action("&Rename workflow…", self.rename_dialog)
        a["quit"] = self._action("&Quit", self.close, K.Quit)
        a["undo"] = self.stack.createUndoAction(self, "&Undo")
        a["undo"].setShortcut(QKeySequence(K.Undo))
        a["redo"] = self.stack.createRedoAction(self, "&Redo")
        a["redo"].setShortcuts(
            list(dict.fromkeys([QKeySequence(K.Redo), QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]))
        )
        self.addAction(a["undo"])
        self.addAction(a["redo"])
        a["cut"] = self._action("Cu&t", self.cut, K.Cut)
        a["copy"] = self._action("&Copy", self.copy, K.Copy)
        a["paste"] = self._action("&Paste", self.paste, K.Paste)
        a["duplicate"] = self._action("&Duplicate", self.duplicate, "Ctrl+D")
        a["delete"] = self._action("De&lete", self.delete_selection, [QKeySequence(K.Delete), "Backspace"])
        a["select_all"] = self._action("Select &All", self.select_all, K.SelectAll)
        a["add_node"] = self._action("Add &node…  (Tab)", self.quick_add_at_cursor)
        a["add_note"] = self._action("Add sticky &note", self.add_note, "Shift+S")
        a["rename_item"] = self._action("Re&name…", self.rename_selected, "F2")
        a["toggle_disabled"] = self._action("Disable / &enable", self.toggle_disabled, "Ctrl+E")
        a["group"] = self._action("&Group selection", self.group_selection, "Ctrl+G")
        a["ungroup"] = self._action("&Ungroup", self.ungroup_selection, "Ctrl+Shift+G")
        a["collapse"] = self._action("Collapse / expand group", self.toggle_group_collapse, "Ctrl+Shift+C")
        a["layout"] = self._action("Auto-&layout", self.auto_layout, "Ctrl+Shift+L")
        a["zoom_in"] = self._action("Zoom &in", self.view.zoom_in, [QKeySequence(K.ZoomIn), "Ctrl+="])
        a["zoom_out"] = self._action("Zoom &out", self.view.zoom_out, K.ZoomOut)
        a["zoom_reset"] = self._action("Actual si&ze", self.view.reset_zoom, ["Ctrl+0", "Shift+0"])
        a["fit_all"] = self._action("&Fit all", self.view.fit_all, ["Shift+1", "Home"])
        a["fit_selection"] = self._action("Fit &selection", self.view.fit_selection, "Shift+2")
        a["snap"] = self._action("Snap to &grid", self.set_snap, "Ctrl+'", checkable=True)
        a["minimap"] = self._action("&Minimap", self.set_minimap, "Ctrl+M", checkable=True)
        a["about"] = self._action("&About FlowForge Desktop", self.about)

    def _build_menus(self) -> None:
        a = self.actions_by_name
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for name in ("new", "open"):
            file_menu.addAction(a[name])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self._rebuild_recent_menu()
        file_menu.addSeparator()
        for name in ("save", "save_as"):
            file_menu.addAction(a[name])
        file_menu.addSeparator()
        for name in ("import", "export_json", "export_png", "export_svg"):
            file_menu.addAction(a[name])
        file_menu.addSeparator()
        file_menu.addAction(a["rename"])
        file_menu.addSeparator()
        file_menu.addAction(a["quit"])
        edit = bar.addMenu("&Edit")
        for name in (
            "undo",
            "redo",
            None,
            "cut",
            "copy",
            "paste",
            "duplicate",
            "delete",
            "select_all",
            None,
            "add_node",
            "add_note",
            "rename_item",
            "toggle_disabled",
            None,
            "group",
            "ungroup",
            "collapse",
            None,
            "layout",
        ):
            edit.addSeparator() if name is None else edit.addAction(a[name])
        view = bar.addMenu("&View")
        for name in ("zoom_in", "zoom_out", "zoom_reset", "fit_all", "fit_selection", None, "snap", "minimap"):
            view.addSeparator() if name is None else view.addAction(a[name])
        view.addSeparator()
        view.addAction(self.palette_dock.toggleViewAction())
        view.addAction(self.inspector_dock.toggleViewAction())
        bar.addMenu("&Help").addAction(a["about"])

    def _build_toolbar(self) -> None:
        a = self.actions_by_name
        tb = self.addToolBar("Main")
        tb.setObjectName("toolbar_main")
        tb.setIconSize(QSize(16, 16))
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        style = self.style()
        sp = QStyle.StandardPixmap
        for name, theme_name, fallback in (
            ("new", "document-new", sp.SP_FileIcon),
            ("open", "document-open", sp.SP_DialogOpenButton),
            ("save", "document-save", sp.SP_DialogSaveButton),
            ("undo", "edit-undo", sp.SP_ArrowBack),
            ("redo", "edit-redo", sp.SP_ArrowForward),
        ):
            a[name].setIcon(QIcon.fromTheme(theme_name, style.standardIcon(fallback)))
        for name in (
            "new",
            "open",
            "save",
            None,
            "undo",
            "redo",
            None,
            "zoom_out",
            "zoom_in",
            "fit_all",
            None,
            "layout",
            "add_note",
        ):
            tb.addSeparator() if name is None else tb.addAction(a[name])
        self.toolbar = tb

    # ======================================================================== status ===
    def show_message(self, text: str, timeout_ms: int = 8000) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def _show_zoom(self, zoom: float) -> None:
        self.status_zoom.setText(f"{zoom * 100:.0f}%")

    def _update_title(self, *_args: object) -> None:
        where = Path(self.path).name if self.path else "not saved"
        self.setWindowTitle(f"{self.doc.name}[*] — {where} — {APP_TITLE}")
        self.setWindowModified(self.is_dirty())

    def _update_counts(self, *_args: object) -> None:
        n, e = len(self.doc), self.doc.connection_count()
        self.status_count.setText(f"{n} node{'s' if n != 1 else ''}, {e} connection{'s' if e != 1 else ''}")

    def is_dirty(self) -> bool:
        return not self.stack.isClean()

    def _on_change(self, change: Change) -> None:
        if isinstance(change, WorkflowRenamed | DocumentReset):
            self._update_title()

    def _selection_changed(self) -> None:
        self.inspector.show_nodes(self.scene.selected_node_ids())

    def _edit_node(self, node_id: str) -> None:
        self.inspector_dock.show()
        self.inspector_dock.raise_()
        self.inspector.show_node(node_id)
        name = self.inspector.header.get("name")
        if name is not None:
            name.edit.setFocus()
            name.edit.selectAll()

    def set_node_state(self, node_id: str, state: str | None) -> None:
        """Run / debug state badge on a node (queued, running, paused, succeeded, failed, skipped...)."""
        self.scene.set_node_state(node_id, state)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.scene.set_theme(CanvasTheme.from_palette(self.palette()))
        super().changeEvent(event)

    # ========================================================================= files ===
    def new_document(self) -> bool:
        if not self.maybe_save():
            return False
        self._store_view_state()
        self.doc.replace_with(WorkflowDocument(registry=self.doc.registry))
        self.path = None
        self.stack.clear()
        self.autosaver.discard()
        self.view.reset_zoom()
        self.view.centerOn(QPointF(400, 250))
        self._update_title()
        self._update_counts()
        return True

    def open_dialog(self) -> bool:
        path = self.ask_open_path("Open workflow")
        return self.open_path(path) if path else False

    def open_path(self, path: str, *, ask: bool = True) -> bool:
        if ask and not self.maybe_save():
            return False
        try:
            result = codec.load_path(path, self.doc.registry)
        except WorkflowLoadError as exc:
            self.show_error("Cannot open the workflow", str(exc))
            return False
        self._store_view_state()
        self.doc.replace_with(result.document)
        self.path = str(Path(path).resolve())
        self.stack.clear()
        self.autosaver.discard()
        self._add_recent(self.path)
        self._update_title()
        self._update_counts()
        if not self._restore_view_state():
            self.view.fit_all()
        errors = [p for p in result.problems if p.severity == "error"]
        if errors:
            self.show_message(f"Opened {Path(path).name}: {len(errors)} problem(s) to fix — see the red badges")
        else:
            self.show_message(f"Opened {Path(path).name}")
        return True

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self._write(self.path)

    def save_as(self) -> bool:
        path = self.ask_save_path("Save workflow as", self.path or f"{self.doc.name}.json")
        if not path:
            return False
        if not path.endswith(".json"):
            path += ".json"
        if not self._write(path):
            return False
        self.path = str(Path(path).resolve())
        self._add_recent(self.path)
        self._update_title()
        return True

    def _write(self, path: str) -> bool:
        try:
            codec.save_path(self.doc, path)
        except OSError as exc:
            self.show_error("Cannot save the workflow", f"{path}: {exc.strerror or exc}")
            return False
        self.stack.setClean()
        self.autosaver.discard()
        self._store_view_state(path)
        self._update_title()
        self.show_message(f"Saved {path}")
        return True

    def import_dialog(self) -> list[str]:
        path = self.ask_open_path("Import nodes from a workflow file")
        return self.import_path(path) if path else []

    def import_path(self, path: str) -> list[str]:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.show_error("Cannot import", f"{path}: {exc}")
            return []
        center = self.view.center_scene_pos()
        ids = self.editor.paste_text(text, at=(center.x() - NODE_WIDTH, center.y() - 100), what="Import")
        self.scene.select_nodes(ids)
        return ids

    def export_json_dialog(self) -> bool:
        path = self.ask_save_path("Export workflow JSON", f"{self.doc.name}.json")
        if not path:
            return False
        try:
            codec.save_path(self.doc, path)
        except OSError as exc:
            self.show_error("Cannot export", f"{path}: {exc.strerror or exc}")
            return False
        self.show_message(f"Exported {path}")
        return True

    def export_image_dialog(self, fmt: str) -> bool:
        path = self.ask_save_path(f"Export canvas as {fmt.upper()}", f"{self.doc.name}.{fmt}")
        if not path:
            return False
        ok = self.export_png(path) if fmt == "png" else self.export_svg(path)
        if ok:
            self.show_message(f"Exported {path}")
        return ok

    def _export_bounds(self) -> QRectF:
        bounds = self.scene.nodes_bounds()
        for group in self.scene.groups.values():
            bounds = bounds.united(group.rect)
        return bounds.adjusted(-40, -40, 40, 40) if not bounds.isEmpty() else QRectF(0, 0, 400, 300)

    def _render(self, painter: QPainter, target: QRectF, source: QRectF) -> None:
        selected = self.scene.selectedItems()
        self.scene.clearSelection()
        self.scene.exporting = True  # cached pictures would not reach an SVG, and blur a PNG
        try:
            self.scene.render(painter, target, source)
        finally:
            self.scene.exporting = False
            for item in selected:
                item.setSelected(True)

    def export_png(self, path: str, scale: float = 2.0) -> bool:
        source = self._export_bounds()
        scale = min(scale, 8000 / max(source.width(), source.height()))
        image = QImage(int(source.width() * scale), int(source.height() * scale), QImage.Format.Format_ARGB32)
        image.fill(self.scene.theme.background)
        painter = QPainter(image)
        painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self._render(painter, QRectF(image.rect()), source)
        painter.end()
        if not image.save(path):
            self.show_error("Cannot export", f"{path}: the image could not be written")
            return False
        return True

    def export_svg(self, path: str) -> bool:
        from PySide6.QtSvg import QSvgGenerator

        source = self._export_bounds()
        generator = QSvgGenerator()
        generator.setFileName(path)
        generator.setSize(source.size().toSize())
        generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
        generator.setTitle(self.doc.name)
        generator.setDescription("FlowForge Desktop workflow")
        painter = QPainter(generator)
        painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        painter.fillRect(QRectF(0, 0, source.width(), source.height()), self.scene.theme.background)
        self._render(painter, QRectF(0, 0, source.width(), source.height()), source)
        painter.end()
        return Path(path).is_file()

    def maybe_save(self) -> bool:
        """True when it is fine to drop the current document (saved, discarded, or clean)."""
        if not self.is_dirty():
            return True
        answer = self.ask_save_changes()
        if answer == "save":
            return self.save()
        return answer == "discard"

    def _files_dropped(self, paths: list[str]) -> None:
        workflow = next((p for p in paths if p.endswith(".json")), None)
        if workflow is None:
            self.show_message("Drop a workflow .json file to open it")
            return
        self.open_path(workflow)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self._files_dropped(paths)
            event.acceptProposedAction()

    # ---------------------------------------------------------------- autosave / recovery ---
    def autosave_now(self) -> bool:
        if not self.is_dirty():
            self.autosaver.discard()  # undone back to the saved state: nothing to recover
            return False
        self.autosaver.write(codec.dumps(self.doc), self.path, self.doc.name)
        return True

    def offer_recovery(self) -> bool:
        """Offer autosaves left by a crashed session; returns True when one was recovered."""
        recovered = False
        for recovery in find_recoveries(self.autosaver.directory):
            if recovery.token == self.autosaver.token:
                continue
            if not recovered and self.ask_recover(recovery):
                try:
                    result = codec.load_path(recovery.workflow_path, self.doc.registry)
                except WorkflowLoadError as exc:
                    self.show_error("Cannot recover the workflow", str(exc))
                else:
                    self.doc.replace_with(result.document)
                    self.path = recovery.original_path
                    self.stack.clear()
                    self.stack.resetClean()  # recovered work is unsaved work
                    self._update_title()
                    self._update_counts()
                    self.view.fit_all()
                    self.autosave_now()
                    recovered = True
                    self.show_message(f"Recovered {recovery.describe()}")
            forget(recovery)
        return recovered

    # ------------------------------------------------------------------------ recent ---
    def recent_files(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _add_recent(self, path: str) -> None:
        files = [path, *(p for p in self.recent_files() if p != path)][:MAX_RECENT]
        self.settings.setValue("recent_files", files)
        self._rebuild_recent_menu()

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for path in files:
            action = self.recent_menu.addAction(Path(path).name)
            action.setStatusTip(path)
            action.triggered.connect(lambda _c=False, p=path: self.open_path(p))
        self.recent_menu.setEnabled(bool(files))

    # ------------------------------------------------------- view state (per file, in QSettings) ---
    def _view_key(self, path: str) -> str:
        return "view_state/" + hashlib.sha1(str(Path(path).resolve()).encode()).hexdigest()[:16]

    def _store_view_state(self, path: str | None = None) -> None:
        path = path or self.path
        if not path:
            return
        center = self.view.center_scene_pos()
        key = self._view_key(path)
        self.settings.setValue(f"{key}/zoom", self.view.zoom())
        self.settings.setValue(f"{key}/center", [center.x(), center.y()])
        self.settings.setValue(f"{key}/collapsed", sorted(self.scene.collapsed_groups))

    def _restore_view_state(self) -> bool:
        if not self.path:
            return False
        key = self._view_key(self.path)
        zoom = self.settings.value(f"{key}/zoom")
        center = self.settings.value(f"{key}/center")
        collapsed = self.settings.value(f"{key}/collapsed", []) or []
        for group_id in [collapsed] if isinstance(collapsed, str) else collapsed:
            if group_id in self.scene.groups:
                self.scene.set_group_collapsed(group_id, True)
        if zoom is None or not center:
            return False
        self.view.set_zoom(float(zoom), QPointF(float(center[0]), float(center[1])))
        return True

    def _restore_window_state(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray | bytes):
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray | bytes):
            self.restoreState(state)
        self.actions_by_name["snap"].setChecked(self.settings.value("canvas/snap", False, type=bool))
        self.actions_by_name["minimap"].setChecked(self.settings.value("canvas/minimap", True, type=bool))

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self._store_view_state()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.sync()
        self.autosave_timer.stop()
        self.autosaver.close()
        event.accept()

    # ========================================================================== edit ===
    def add_kind_at_center(self, kind: str) -> None:
        center = self.view.center_scene_pos()
        spec = self.editor.add_node(kind, self.view.snap(QPointF(center.x() - NODE_WIDTH / 2, center.y() - 30)))
        if spec is not None:
            self.scene.select_nodes([spec.id])

    def quick_add_at_cursor(self) -> None:
        self.view.show_quick_add(self.view.center_scene_pos())

    def copy(self) -> bool:
        ids = self.scene.selected_node_ids()
        if not ids:
            self.show_message("Select nodes to copy")
            return False
        QGuiApplication.clipboard().setText(self.editor.copy_text(ids))
        self.show_message(f"Copied {len(ids)} node{'s' if len(ids) != 1 else ''} as workflow JSON")
        return True

    def cut(self) -> None:
        if self.copy():
            self.editor.remove(self.scene.selected_node_ids())

    def paste(self) -> list[str]:
        text = QGuiApplication.clipboard().text()
        if not text.strip():
            self.show_message("The clipboard is empty")
            return []
        ids = self.editor.paste_text(text)
        self.scene.select_nodes(ids)
        return ids

    def duplicate(self) -> list[str]:
        ids = self.editor.duplicate(self.scene.selected_node_ids())
        self.scene.select_nodes(ids)
        return ids

    def delete_selection(self) -> None:
        nodes, conns = self.scene.selected_node_ids(), selected_connections(self.scene)
        notes, groups = selected_note_ids(self.scene), selected_group_ids(self.scene)
        with self.scene.batched_selection():  # removing selected items would signal once per item
            self.scene.clearSelection()
        self.editor.remove(nodes, conns, notes, groups)

    def select_all(self) -> None:
        self.scene.select_nodes(self.scene.nodes, add=True)

    def toggle_disabled(self) -> None:
        self.editor.set_disabled(self.scene.selected_node_ids())

    def add_note(self) -> None:
        center = self.view.center_scene_pos()
        self.editor.add_note((round(center.x() - 100), round(center.y() - 60)))

    def edit_note(self, note_id: str) -> None:
        note = next((n for n in self.doc.notes if n.id == note_id), None)
        if note is None:
            return
        text = self.ask_text("Sticky note", note.text)
        if text is not None and text != note.text:
            self.editor.update_note(note_id, text=text)

    def rename_selected(self) -> None:
        """F2: rename the selected group, or the one selected node; edit the selected note's text."""
        groups, nodes = selected_group_ids(self.scene), self.scene.selected_node_ids()
        notes = selected_note_ids(self.scene)
        if groups:
            self.rename_group(groups[0])
        elif len(nodes) == 1:
            spec = self.doc.node(nodes[0])
            name = self.ask_text("Node name", spec.name)
            if name is not None and name.strip():
                self.editor.update_node(spec.id, name=name.strip(), text=f"Rename {spec.id}")
        elif notes:
            self.edit_note(notes[0])
        else:
            self.show_message("Select one node, a group or a note to rename it")

    def rename_group(self, group_id: str) -> None:
        group = next(g for g in self.doc.groups if g.id == group_id)
        title = self.ask_text("Group title", group.title)
        if title is not None and title.strip() and title.strip() != group.title:
            self.editor.update_group(group_id, title=title.strip())

    def set_color(self, note_ids: list[str], group_ids: list[str], color: str) -> None:
        with self.editor.macro("Change colour"):
            for note_id in note_ids:
                self.editor.update_note(note_id, color=color)
            for group_id in group_ids:
                self.editor.update_group(group_id, color=color)

    def add_item_actions(self, menu: QMenu, scene_pos: QPointF) -> bool:
        """Canvas menu entries for the sticky note or group under ``scene_pos``; False if there is none."""
        under = [i for i in self.scene.items(scene_pos) if isinstance(i, NoteItem | GroupItem)]
        if not under or self.scene.node_at(scene_pos) is not None:
            return False
        item = under[0]
        if not item.isSelected():
            self.scene.clearSelection()
            item.setSelected(True)
        if isinstance(item, NoteItem):
            note_id = item.note_id
            menu.addAction("Edit text…", lambda: self.edit_note(note_id))
            colors, apply = NOTE_COLORS, lambda c: self.set_color([note_id], [], c)
            current = item.note.color
        else:
            group_id = item.group_id
            menu.addAction("Rename group…", lambda: self.rename_group(group_id))
            colors, apply = GROUP_COLORS, lambda c: self.set_color([], [group_id], c)
            current = item.group.color
        swatches = menu.addMenu("Colour")
        for name, color in colors.items():
            action = swatches.addAction(_swatch(color), name, lambda c=color: apply(c))
            action.setCheckable(True)
            action.setChecked(color.lower() == current.lower())
        if isinstance(item, GroupItem):
            group_id = item.group_id
            menu.addAction(
                "Expand" if item.collapsed else "Collapse",
                lambda: self.scene.set_group_collapsed(group_id, not self.scene.groups[group_id].collapsed),
            )
            menu.addAction("Ungroup", lambda: self.editor.remove(group_ids=[group_id]))
        else:
            menu.addAction("Delete note", lambda: self.editor.remove(note_ids=[note_id]))
        return True

    def group_selection(self) -> None:
        title = self.ask_text("Group title", "Group")
        if title is not None:
            self.editor.group(self.scene.selected_node_ids(), title or "Group")

    def ungroup_selection(self) -> None:
        ids = selected_group_ids(self.scene)
        if not ids:
            members = set(self.scene.selected_node_ids())
            ids = [g.id for g in self.doc.groups if members & set(g.nodes)]
        if ids:
            self.editor.remove(group_ids=ids)
        else:
            self.show_message("Select a group (click its title) to ungroup it")

    def toggle_group_collapse(self) -> None:
        ids = selected_group_ids(self.scene)
        if not ids:
            members = set(self.scene.selected_node_ids())
            ids = [g.id for g in self.doc.groups if members & set(g.nodes)]
        for group_id in ids:
            item = self.scene.groups[group_id]
            self.scene.set_group_collapsed(group_id, not item.collapsed)

    def auto_layout(self) -> None:
        selected = self.scene.selected_node_ids()
        self.editor.auto_layout(selected if len(selected) > 1 else None)

    def rename_dialog(self) -> None:
        name = self.ask_text("Workflow name", self.doc.name)
        if name and name != self.doc.name:
            self.editor.execute(RenameWorkflowCommand(self.doc, self.doc.name, name))

    def set_snap(self, on: bool) -> None:
        self.scene.snap_to_grid = on
        self.settings.setValue("canvas/snap", on)

    def set_minimap(self, on: bool) -> None:
        self.view.minimap.setVisible(on)
        self.settings.setValue("canvas/minimap", on)

    def about(self) -> None:
        QMessageBox.about(
            self, APP_TITLE, "<b>FlowForge Desktop</b><br>Design, debug and run workflows on your desktop."
        )

    # ======================================================= default (modal) questions ===
    def _ask_save_changes(self) -> str:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setText(f"Save the changes to '{self.doc.name}'?")
        box.setInformativeText("Your changes are lost if you don't save them.")
        box.setStandardButtons(
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
        )
        answer = box.exec()
        return {
            QMessageBox.StandardButton.Save: "save",
            QMessageBox.StandardButton.Discard: "discard",
        }.get(QMessageBox.StandardButton(answer), "cancel")

    def _ask_open_path(self, title: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(
            self, title, str(Path(self.path).parent) if self.path else "", JSON_FILTER
        )
        return path or None

    def _ask_save_path(self, title: str, suggested: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(
            self, title, suggested, JSON_FILTER if suggested.endswith(".json") else ""
        )
        return path or None

    def _ask_recover(self, recovery: Recovery) -> bool:
        answer = QMessageBox.question(
            self,
            "Recover unsaved work?",
            f"FlowForge Desktop did not close properly last time.\n\nRecover {recovery.describe()}?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def _ask_text(self, title: str, current: str) -> str | None:
        if title == "Sticky note":
            text, ok = QInputDialog.getMultiLineText(self, title, "Text:", current)
        else:
            text, ok = QInputDialog.getText(self, title, title + ":", text=current)
        return text if ok else None

    def _show_error(self, title: str, text: str) -> None:
        self.show_message(text)
        QMessageBox.warning(self, title, text)


def _swatch(color: str) -> QIcon:
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)

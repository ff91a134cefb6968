"""File read / write actions: text, JSON and CSV. Writes are atomic (temp file + os.replace).

Paths may hold templates (the engine renders them first); ``~`` is expanded and a relative path is
read against the current working directory. All disk work runs off the event loop (``ctx.to_thread``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from typing import Any, ClassVar, Literal

from pydantic import Field

from flowforge_desktop.nodes.base import NodeCategory, NodeConfig, NodeContext, NodeError, NodeKind
from flowforge_desktop.nodes.validators import has_template

FileFormat = Literal["auto", "text", "json", "csv"]


def resolve_path(field: str, value: str) -> str:
    if not value.strip():
        raise NodeError(f"{field} is empty: give a file path")
    if has_template(value):
        raise NodeError(f"{field}: '{value}' still holds a template after rendering; check the expression")
    return os.path.abspath(os.path.expanduser(value))


def pick_format(fmt: str, path: str) -> str:
    if fmt != "auto":
        return fmt
    ext = os.path.splitext(path)[1].lower()
    return {".json": "json", ".csv": "csv", ".tsv": "csv"}.get(ext, "text")


def _number(cell: str) -> Any:
    text = cell.strip()
    if not text or text[0] not in "+-.0123456789":
        return cell
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return cell
    return value if value == value and value not in (float("inf"), float("-inf")) else cell


class FileReadConfig(NodeConfig):
    path: str = Field(..., min_length=1, description="File to read; may hold templates, e.g. '{{ input.path }}'.")
    format: FileFormat = Field("auto", description="auto picks by extension: .json, .csv/.tsv, else text.")
    encoding: str = Field("utf-8", description="Text encoding of the file.")
    csv_delimiter: str = Field(
        ",", min_length=1, max_length=1, description="CSV field separator, one character; .tsv files use a tab."
    )
    csv_header: bool = Field(True, description="First CSV row names the fields: rows become objects, else lists.")
    parse_numbers: bool = Field(True, description="Turn CSV cells that are whole numbers or decimals into numbers.")
    max_bytes: int = Field(50_000_000, ge=1, description="Refuse files larger than this many bytes.")


class FileReadAction(NodeKind):
    kind = "file_read"
    category = NodeCategory.ACTION
    title = "Read file"
    description = "Reads a text, JSON or CSV file; outputs its path, size and parsed content."
    icon = "file_read.svg"
    Config = FileReadConfig
    example: ClassVar[dict[str, Any]] = {"path": "{{ input.path }}", "format": "csv"}

    async def run(self, ctx: NodeContext, inputs: dict[str, Any]) -> Any:
        path = resolve_path("path", self.config.path)
        return await ctx.to_thread(self._read, path)

    def _read(self, path: str) -> dict[str, Any]:
        c = self.config
        fmt = pick_format(c.format, path)
        try:
            size = os.path.getsize(path)
            if os.path.isdir(path):
                raise IsADirectoryError(21, "Is a directory")
            if size > c.max_bytes:
                raise NodeError(f"path: '{path}' is {size} bytes, more than max_bytes ({c.max_bytes})")
            with open(path, encoding=c.encoding, newline="") as f:
                text = f.read()
        except FileNotFoundError:
            raise NodeError(f"path: file '{path}' does not exist") from None
        except IsADirectoryError:
            raise NodeError(f"path: '{path}' is a folder, not a file") from None
        except PermissionError:
            raise NodeError(f"path: file '{path}' cannot be read by this user: check its permissions") from None
        except UnicodeDecodeError as exc:
            raise NodeError(f"path: file '{path}' is not valid {c.encoding} text (byte {exc.start})") from None
        except LookupError:
            raise NodeError(f"encoding: unknown text encoding '{c.encoding}'") from None
        if fmt == "json":
            try:
                content: Any = json.loads(text) if text.strip() else None
            except json.JSONDecodeError as exc:
                raise NodeError(f"path: '{path}' is not valid JSON: {exc.msg} at line {exc.lineno}") from None
        elif fmt == "csv":
            tsv = path.lower().endswith(".tsv") and c.csv_delimiter == ","
            delimiter = "\t" if tsv else c.csv_delimiter
            rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
            if c.parse_numbers:
                rows = [[_number(cell) for cell in row] for row in rows]
            if c.csv_header and rows:
                header = [str(h) for h in rows[0]]
                content = [dict(zip(header, row + [None] * (len(header) - len(row)), strict=False)) for row in rows[1:]]
            else:
                content = rows
        else:
            content = text
        return {"path": path, "name": os.path.basename(path), "size": size, "format": fmt, "content": content}


class FileWriteConfig(NodeConfig):
    path: str = Field(..., min_length=1, description="File to write; may hold templates.")
    format: FileFormat = Field("auto", description="auto picks by extension: .json, .csv/.tsv, else text.")
    content: Any = Field(None, description="What to write; may hold templates. Empty (null): the node's input.")
    encoding: str = Field("utf-8", description="Text encoding of the file.")
    if_exists: Literal["overwrite", "append", "fail"] = Field(
        "overwrite", description="overwrite (atomic), append (not atomic), or fail when the file exists."
    )
    create_dirs: bool = Field(True, description="Create missing parent folders.")
    json_indent: int | None = Field(2, ge=0, le=8, description="JSON indentation; null for one compact line.")
    csv_delimiter: str = Field(",", min_length=1, max_length=1, description="CSV field separator.")


class FileWriteAction(NodeKind):
    kind = "file_write"
    category = NodeCategory.ACTION
    title = "Write file"
    description = "Writes text, JSON or CSV to a file atomically (temp file + rename); outputs path and size."
    icon = "file_write.svg"
    Config = FileWriteConfig
    example: ClassVar[dict[str, Any]] = {
        "path": "~/FlowForge/out/summary-{{ now.strftime('%Y-%m-%d') }}.json",
        "format": "json",
    }

    async def run(self, ctx: NodeContext, inputs: dict[str, Any]) -> Any:
        path = resolve_path("path", self.config.path)
        content = self.config.content if self.config.content is not None else inputs.get("in")
        return await ctx.to_thread(self._write, path, content)

    def _encode(self, fmt: str, content: Any) -> str:
        c = self.config
        if fmt == "json":
            return json.dumps(content, indent=c.json_indent, ensure_ascii=False, default=str) + "\n"
        if fmt == "csv":
            if isinstance(content, str):
                return content
            if not isinstance(content, list):
                raise NodeError(f"content: CSV needs a list of rows (objects or lists), got {type(content).__name__}")
            out = io.StringIO()
            if content and all(isinstance(r, dict) for r in content):
                fields: dict[str, None] = {}
                for row in content:
                    fields.update(dict.fromkeys(row))
                writer = csv.DictWriter(out, fieldnames=list(fields), delimiter=c.csv_delimiter, lineterminator="\n")
                writer.writeheader()
                writer.writerows(content)
            else:
                writer2 = csv.writer(out, delimiter=c.csv_delimiter, lineterminator="\n")
                for row in content:
                    writer2.writerow(row if isinstance(row, list) else [row])
            return out.getvalue()
        if content is None:
            return ""
        return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, default=str)

    def _write(self, path: str, content: Any) -> dict[str, Any]:
        c = self.config
        fmt = pick_format(c.format, path)
        text = self._encode(fmt, content)
        folder = os.path.dirname(path)
        try:
            if os.path.isdir(path):
                raise NodeError(f"path: '{path}' is a folder, not a file")
            if not os.path.isdir(folder):
                if not c.create_dirs:
                    raise NodeError(f"path: folder '{folder}' does not exist (or set create_dirs)")
                os.makedirs(folder, exist_ok=True)
            exists = os.path.exists(path)
            if exists and c.if_exists == "fail":
                raise NodeError(f"path: file '{path}' already exists and if_exists is 'fail'")
            data = text.encode(c.encoding)
            if exists and c.if_exists == "append":
                with open(path, "ab") as f:
                    f.write(data)
            else:
                self._atomic_write(path, data, exists)
            size = os.path.getsize(path)
        except PermissionError:
            raise NodeError(f"path: cannot write '{path}': permission denied") from None
        except LookupError:
            raise NodeError(f"encoding: unknown text encoding '{c.encoding}'") from None
        except UnicodeEncodeError as exc:
            raise NodeError(f"content: cannot be written as {c.encoding}: {exc.reason}") from None
        except OSError as exc:
            raise NodeError(f"path: cannot write '{path}': {exc.strerror or exc}") from None
        return {"path": path, "name": os.path.basename(path), "size": size, "format": fmt}

    @staticmethod
    def _atomic_write(path: str, data: bytes, exists: bool) -> None:
        folder, name = os.path.split(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            if exists:
                os.chmod(tmp, os.stat(path).st_mode & 0o7777)
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

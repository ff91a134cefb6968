"""The file-watch trigger on real folders with watchdog: settle, dedupe, atomic saves, errors, fallback."""

from __future__ import annotations

import asyncio
import errno
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from watchdog.observers import Observer

from flowforge_desktop.nodes.base import NodeError
from flowforge_desktop.nodes.builtin.testing import FireRecorder, make
from flowforge_desktop.nodes.builtin.triggers import ArmedFileWatch, FileWatchTrigger
from flowforge_desktop.nodes.builtin.watch_service import WatchService, watch_service

QUIET = 0.15


def watching(
    folder: Path,
    scenario: Callable[[ArmedFileWatch, FireRecorder], Awaitable[None]],
    service: WatchService | None = None,
    **config: Any,
) -> FireRecorder:
    own = service or watch_service()  # the process-wide one, as in the app
    config = {"watch_path": str(folder), "quiet_time": QUIET, **config}

    async def main() -> FireRecorder:
        recorder = FireRecorder("new_file")
        recorder.ctx.services["watch_service"] = own
        armed = await make(FileWatchTrigger, **config).arm(recorder.ctx)
        try:
            await asyncio.sleep(0.05)  # let the watch settle in
            await scenario(armed, recorder)
        finally:
            await armed.disarm()
        return recorder

    return asyncio.run(main())


async def quiet_period(seconds: float = QUIET * 2.5) -> None:
    await asyncio.sleep(seconds)


def test_a_new_file_written_in_chunks_fires_once_after_it_settles(tmp_path: Path) -> None:
    async def scenario(armed: ArmedFileWatch, rec: FireRecorder) -> None:
        with open(tmp_path / "orders.csv", "w") as f:
            for i in range(5):  # five writes, each sooner than the quiet time
                f.write(f"{i},chunk\n")
                f.flush()
                await asyncio.sleep(QUIET / 4)
        assert rec.payloads == []  # still being written: nothing fired yet
        await rec.wait_for(1)
        await quiet_period()

    rec = watching(tmp_path, scenario, watch_events=["created", "modified"])
    assert len(rec.payloads) == 1
    payload = rec.payloads[0]
    assert payload["path"] == str(tmp_path.resolve() / "orders.csv")
    assert payload["name"] == "orders.csv"
    assert payload["event"] == "created"
    assert payload["size"] == 5 * len("0,chunk\n")
    assert payload["moved_from"] is None


def test_pattern_hidden_files_and_unwatched_events_do_not_fire(tmp_path: Path) -> None:
    (tmp_path / "old.csv").write_text("x")

    async def scenario(armed: ArmedFileWatch, rec: FireRecorder) -> None:
        (tmp_path / "notes.txt").write_text("not a csv")
        (tmp_path / ".hidden.csv").write_text("editor temp")
        (tmp_path / "old.csv").write_text("modified, but only created is watched")
        (tmp_path / "sub").mkdir()
        (tmp_path / "sub" / "deep.csv").write_text("not recursive")
        (tmp_path / "new.csv").write_text("yes")
        await rec.wait_for(1)
        await quiet_period()

    rec = watching(tmp_path, scenario, file_pattern="*.csv")
    assert [(p["name"], p["event"]) for p in rec.payloads] == [("new.csv", "created")]


def test_an_atomic_save_counts_as_a_change_of_the_target(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text('{"v": 1}')

    async def scenario(armed: ArmedFileWatch, rec: FireRecorder) -> None:
        temp = tmp_path / ".report.json.tmp123"
        temp.write_text('{"v": 2, "longer": true}')
        os.replace(temp, target)  # no 'modified' on the target, only moved temp -> target
        await rec.wait_for(1)
        await quiet_period()

    rec = watching(tmp_path, scenario, file_pattern="*.json", watch_events=["modified"])
    assert len(rec.payloads) == 1
    payload = rec.payloads[0]
    assert (payload["name"], payload["event"]) == ("report.json", "modified")
    assert payload["size"] == len('{"v": 2, "longer": true}')
    assert payload["moved_from"].endswith(".report.json.tmp123")


def test_renames_and_deletions_when_watched(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("a")
    (tmp_path / "gone.csv").write_text("g")

    async def scenario(armed: ArmedFileWatch, rec: FireRecorder) -> None:
        os.rename(tmp_path / "a.csv", tmp_path / "b.csv")
        (tmp_path / "gone.csv").unlink()
        await rec.wait_for(2)
        await quiet_period()

    rec = watching(tmp_path, scenario, watch_events=["moved", "deleted"])
    got = sorted((p["name"], p["event"], p["size"]) for p in rec.payloads)
    assert got == [("b.csv", "moved", 1), ("gone.csv", "deleted", None)]


def test_recursive_watch_sees_sub_folders(tmp_path: Path) -> None:
    (tmp_path / "2026" / "11").mkdir(parents=True)

    async def scenario(armed: ArmedFileWatch, rec: FireRecorder) -> None:
        (tmp_path / "2026" / "11" / "day.csv").write_text("1,2")
        await rec.wait_for(1)

    rec = watching(tmp_path, scenario, recursive=True)
    assert rec.payloads[0]["path"] == str(tmp_path.resolve() / "2026" / "11" / "day.csv")


def test_missing_file_or_unreadable_watch_path_is_a_clear_error(tmp_path: Path) -> None:
    async def arm(path: Path) -> None:
        await make(FileWatchTrigger, watch_path=str(path)).arm(FireRecorder().ctx)

    with pytest.raises(NodeError) as err:
        asyncio.run(arm(tmp_path / "inbox"))
    assert (
        err.value.message
        == f"watch_path '{tmp_path / 'inbox'}' does not exist: create the folder or choose another one"
    )
    (tmp_path / "file.csv").write_text("x")
    with pytest.raises(NodeError) as err:
        asyncio.run(arm(tmp_path / "file.csv"))
    assert err.value.message == (
        f"watch_path '{tmp_path / 'file.csv'}' is a file, not a folder: watch the folder that holds it"
    )


def unreadable_folder_message(locked: Path) -> str:
    """Arm a watch on ``locked`` and return the NodeError's message. Root may read any folder, so as
    root this runs in a forked child that has dropped to the unprivileged user 'nobody' (65534)."""

    def attempt() -> str:
        try:
            asyncio.run(make(FileWatchTrigger, watch_path=str(locked)).arm(FireRecorder().ctx))
        except NodeError as exc:
            return exc.message
        return "armed without an error"

    if os.geteuid() != 0:
        return attempt()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no pytest teardown, only the answer through the pipe
        try:
            os.setgid(65534)
            os.setuid(65534)
            os.write(write_end, attempt().encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as answer:
        message = answer.read().decode()
    os.waitpid(pid, 0)
    return message


def test_unreadable_watch_path_is_a_clear_error() -> None:
    base = Path(tempfile.mkdtemp())  # not under pytest's 0700 tmp root: 'nobody' must reach it
    try:
        base.chmod(0o755)
        locked = base / "locked"
        locked.mkdir(mode=0)
        assert unreadable_folder_message(locked) == (
            f"watch_path '{locked}' cannot be read by this user: check its permissions"
        )
    finally:
        (base / "locked").chmod(0o755)
        shutil.rmtree(base)


def test_all_triggers_share_one_observer_and_one_watch_per_folder(tmp_path: Path) -> None:
    service = watch_service()
    assert watch_service() is service
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()

    async def main() -> tuple[int, int, set[Any]]:
        armed = []
        for folder in ("a", "b", "a"):
            rec = FireRecorder()
            armed.append(await make(FileWatchTrigger, watch_path=str(tmp_path / folder)).arm(rec.ctx))
        counts = service.watch_count
        observers = {service._native}
        for a in armed:
            await a.disarm()
        return counts, service.watch_count, observers

    before = service.watch_count
    during, after, observers = asyncio.run(main())
    assert during - before == 2 and after == before
    assert len(observers) == 1


class LimitedObserver(Observer):  # type: ignore[misc,valid-type]
    """A native observer on a machine whose inotify watch limit is used up."""

    def schedule(self, *args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_inotify_limit_falls_back_to_polling_with_a_clear_message(tmp_path: Path) -> None:
    service = WatchService(observer_factory=LimitedObserver, polling_interval=0.1)

    async def scenario(armed: ArmedFileWatch, rec: FireRecorder) -> None:
        assert armed.polling
        (tmp_path / "polled.csv").write_text("p")
        await rec.wait_for(1)

    try:
        rec = watching(tmp_path, scenario, service=service)
    finally:
        service.stop()
    assert rec.payloads[0]["name"] == "polled.csv"
    assert service.fallback_messages == [
        f"the system's file-watch limit is reached (No space left on device); watching '{tmp_path.resolve()}' "
        "by polling every 0.1 s instead. To watch natively, raise the limit, e.g. "
        "`sudo sysctl fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512`."
    ]


def test_deleting_the_watched_folder_is_reported_on_the_trigger(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()

    async def scenario(armed: ArmedFileWatch, rec: FireRecorder) -> None:
        folder.rmdir()
        for _ in range(100):
            if armed.error:
                break
            await asyncio.sleep(0.02)

    armed_seen: list[ArmedFileWatch] = []

    async def keep(armed: ArmedFileWatch, rec: FireRecorder) -> None:
        armed_seen.append(armed)
        await scenario(armed, rec)

    watching(folder, keep)
    expected = f"watch_path '{folder}' was deleted or moved: recreate it and re-activate the workflow"
    assert armed_seen[0].error == expected
    assert expected in caplog.text


def test_several_patterns_separated_by_semicolons_each_match(tmp_path: Path) -> None:
    async def scenario(armed: ArmedFileWatch, rec: FireRecorder) -> None:
        (tmp_path / "a.csv").write_text("id\n1\n")
        (tmp_path / "b.json").write_text("[]")
        (tmp_path / "c.txt").write_text("no")
        await rec.wait_for(2)
        await quiet_period()

    rec = watching(tmp_path, scenario, file_pattern="*.csv; *.json")
    assert sorted(p["name"] for p in rec.payloads) == ["a.csv", "b.json"]

"""stein.reloader.Watcher: which files it watches (``exclude_patterns``)."""

from __future__ import annotations

from typing import Any

from stein.reloader import Watcher


def test_exclude_patterns_drop_files_from_the_watch(tmp_path: Any) -> None:
    kept, dropped = tmp_path / "settings.cfg", tmp_path / "cache" / "x.tmp"
    dropped.parent.mkdir()
    kept.write_text("a")
    dropped.write_text("b")
    changes: list[str] = []
    watcher = Watcher([str(kept), str(dropped)], kind="stat", on_change=changes.append,
                      exclude_patterns=["*.tmp"])
    files = watcher.files()
    assert str(kept) in files
    assert str(dropped) not in files
    assert watcher.is_excluded(str(dropped)) and not watcher.is_excluded(str(kept))
    assert Watcher([str(dropped)], kind="stat", on_change=changes.append).files() >= {
        str(dropped)}

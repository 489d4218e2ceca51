"""What the file/feed connectors (merchant_feed, platform_832) share: an atomic
file write and a small JSON snapshot guarded by a lock.

A file connector's "remote side" is the file it publishes, so the connector
itself keeps the full snapshot (every listing it was ever told about, delisted
ones included) and renders the whole file from it on each call.  With a state
path the snapshot survives restarts and several worker processes can share it:
each change reloads it under an exclusive ``flock`` on ``<state>.lock``, applies
the change, renders, writes atomically and (while still holding the lock)
publishes, so two workers never publish out of order."""
from __future__ import annotations

import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def atomic_write(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and
    a rename: a reader sees the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


class SnapshotStore:
    """A ``dict[str, dict]`` of JSON-able records, in memory or in a JSON file."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path else None
        self._records: dict[str, dict[str, Any]] = {}
        self._lock = threading.RLock()

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        with self._lock:
            if self.path is None:
                yield
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path.with_name(self.path.name + ".lock"), "a+b") as lock_file:
                fcntl.flock(lock_file, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _load(self) -> dict[str, dict[str, Any]]:
        if self.path is None:
            return self._records
        if not self.path.exists():
            return {}
        return json.loads(self.path.read_text(encoding="utf-8"))

    def _save(self, records: dict[str, dict[str, Any]]) -> None:
        if self.path is None:
            self._records = records
            return
        atomic_write(self.path, json.dumps(records, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8"))

    @contextmanager
    def change(self) -> Iterator[dict[str, dict[str, Any]]]:
        """Yield the current records under the lock; save them when the block ends
        normally (an exception leaves the stored snapshot untouched)."""
        with self._exclusive():
            records = {key: dict(value) for key, value in self._load().items()}
            yield records
            self._save(records)

    def read(self) -> dict[str, dict[str, Any]]:
        with self._exclusive():
            return {key: dict(value) for key, value in self._load().items()}

"""A thread that reads the COPY stream while it is written: the check (CSV) or the Parquet writer runs beside
PostgreSQL instead of after it. A pipe carries the bytes, so a slow reader slows the writer (memory stays a
pipe's worth) and the reader sees exactly the bytes that go into the file."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import IO, Any


class StreamConsumer:
    """``feed`` bytes in; ``consume(file)`` runs in a thread on the other end; ``finish`` returns its result."""

    def __init__(self, consume: Callable[[IO[bytes]], Any]) -> None:
        read_fd, write_fd = os.pipe()
        self._reader = os.fdopen(read_fd, "rb")
        self._writer = os.fdopen(write_fd, "wb")
        self._consume = consume
        self._result: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="focus-stream", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._result = self._consume(self._reader)
        except BaseException as exc:  # handed to the caller by finish()
            self._error = exc
        finally:
            while self._reader.read(1 << 16):  # drain: a writer must never block on a reader that stopped
                pass
            self._reader.close()

    def feed(self, block: bytes | bytearray | memoryview) -> None:
        self._writer.write(block)

    def finish(self) -> Any:
        """Close the stream, wait for the reader, re-raise what it raised, return what it returned."""
        if not self._writer.closed:
            self._writer.close()
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result

    def abort(self) -> None:
        """Stop after an error on the writing side (the reader sees the end of the stream)."""
        try:
            self.finish()
        except BaseException:  # noqa: S110  (the writer's error is the one that matters)
            pass

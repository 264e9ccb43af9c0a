"""Progress of the long stages on stderr: a status line, JSON lines, or nothing."""

import json
import sys
import threading
import time

__all__ = ["Progress"]


class Progress:
    """Report stages as they start and finish.

    ``mode="text"`` prints one line per finished stage (and, on a terminal, a
    live status line with the elapsed time while a stage runs); ``"json"``
    prints one JSON object per event; ``"quiet"`` prints nothing.
    """

    def __init__(self, mode="text", stream=None):
        self.mode = mode
        self.stream = sys.stderr if stream is None else stream
        self._live = mode == "text" and getattr(self.stream, "isatty", lambda: False)()

    def _emit(self, **event):
        if self.mode == "json":
            self.stream.write(json.dumps(event) + "\n")
            self.stream.flush()

    def message(self, text):
        """One line of information."""
        if self.mode == "text":
            self.stream.write(text + "\n")
            self.stream.flush()
        self._emit(event="message", text=text)

    def stage(self, name, detail=""):
        """Context manager around one stage; ``.cached = True`` marks a cache hit."""
        return _Stage(self, name, detail)


class _Stage:
    def __init__(self, progress, name, detail):
        self.progress, self.name, self.detail = progress, name, detail
        self.cached = False
        self.seconds = 0.0
        self._stop = threading.Event()
        self._thread = None

    def __enter__(self):
        self._start = time.perf_counter()
        self.progress._emit(event="start", stage=self.name, detail=self.detail)
        if self.progress._live:
            self._thread = threading.Thread(target=self._ticker, daemon=True)
            self._thread.start()
        return self

    def _ticker(self):
        stream = self.progress.stream
        while not self._stop.wait(0.5):
            elapsed = time.perf_counter() - self._start
            stream.write(f"\r  {self.name}: {self.detail} ... {elapsed:.0f} s\033[K")
            stream.flush()

    def __exit__(self, exc_type, exc, tb):
        self.seconds = time.perf_counter() - self._start
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self.progress.stream.write("\r\033[K")
        if exc_type is not None:
            self.progress._emit(event="abort", stage=self.name, seconds=round(self.seconds, 3))
            return False
        if self.progress.mode == "text":
            how = "from cache" if self.cached else f"{self.seconds:.1f} s"
            self.progress.stream.write(f"  {self.name}: {self.detail} ({how})\n")
            self.progress.stream.flush()
        self.progress._emit(event="done", stage=self.name, detail=self.detail,
                            seconds=round(self.seconds, 3), cached=self.cached)
        return False

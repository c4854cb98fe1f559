"""The thread lifecycle every event source shares: start N daemon threads, stop, join."""

from __future__ import annotations

import threading


class BackgroundLoop:
    """Runs ``_run`` on daemon threads until ``stop``; subclasses name the threads and do the work."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _thread_names(self) -> list[str]:
        return [type(self).__name__]

    def _run(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        for name in self._thread_names():
            thread = threading.Thread(target=self._run, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float = 5.0) -> None:
        for thread in self._threads:
            thread.join(timeout)

"""Rendering in a child process whose memory and time are capped.

pdfium is C++: a hostile or broken PDF can make it allocate gigabytes, loop, or crash. Each PDF
is therefore rendered by a long-lived child process (`spawn`, so it holds none of the parent's
threads or database connections) under an address-space limit (`RLIMIT_AS`); a child that runs
out of memory, crashes or overruns its time is killed and replaced, the PDF is reported as
`crashed`, and the next one goes on. A child is also replaced every 50 PDFs, so pdfium's caches
never grow with the batch.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import resource
import threading
from concurrent.futures.process import BrokenProcessPool

from dailypapers.content.pdf import Rendered, render

CRASHED = "crashed"


def _limit_memory(megabytes: int) -> None:
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


class Renderer:
    """Renders PDFs one at a time in a capped child process; thread-safe."""

    def __init__(self, memory_mb: int, timeout: float, tasks_per_child: int = 50) -> None:
        self.memory_mb = memory_mb
        self.timeout = timeout
        self.tasks_per_child = tasks_per_child
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _start(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._pool is None:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_limit_memory,
                initargs=(self.memory_mb,),
                max_tasks_per_child=self.tasks_per_child,
            )
        return self._pool

    def _kill(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for process in list((pool._processes or {}).values()):  # no public kill
            process.kill()
        pool.shutdown(wait=True, cancel_futures=True)

    def render(self, path: str, max_pages: int) -> Rendered:
        with self._lock:
            future = self._start().submit(render, path, max_pages)
            try:
                return future.result(timeout=self.timeout)
            except concurrent.futures.TimeoutError:
                self._kill()
                return Rendered(CRASHED, f"Rendering took longer than {self.timeout:g}s; stopped.")
            except (BrokenProcessPool, MemoryError) as exc:
                self._kill()
                return Rendered(
                    CRASHED,
                    "The renderer died on this PDF (out of its "
                    f"{self.memory_mb} MB, or a crash in pdfium): {type(exc).__name__}.",
                )

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""Numeric work (numpy's BLAS and LAPACK) on a thread whose stack is big enough for it.

OpenBLAS, when it runs with several threads, puts working buffers on the calling thread's stack
(a function of it reserves about 540 KB at once). granian runs a request on a thread it starts
itself, with a smaller stack than the 8 MB of a process's main thread, and "For you"'s ranking
overran it: the web worker died with a segmentation fault inside libopenblas (seen as
"Unexpected exit from worker-1"; `dmesg` names the library). Measured: the same ranking on a
thread with a 512 KB stack crashes with BLAS threads on and runs with one BLAS thread.
`OPENBLAS_NUM_THREADS=1` is set for the web processes, but a process may have loaded numpy
before; `on_big_stack` makes the stack size not matter, whatever server called it. Pass it
arrays, not database work: the thread has its own database connection.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
STACK_BYTES = 32 * 1024 * 1024  # reserved address space; pages are used only as touched
_lock = threading.Lock()  # threading.stack_size is process-wide: set it, start, put it back


def on_big_stack(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)`, run on a thread with a stack of STACK_BYTES (in the main thread,
    whose stack is the process's, it runs right here)."""
    if threading.current_thread() is threading.main_thread():
        return fn(*args, **kwargs)
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the caller below
            outcome["error"] = exc

    with _lock:
        previous = threading.stack_size(STACK_BYTES)
        try:
            thread = threading.Thread(target=run, name="numeric", daemon=True)
            thread.start()
        finally:
            threading.stack_size(previous)
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]

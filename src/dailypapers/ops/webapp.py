"""The WSGI application as `serve` hands it to granian's worker processes.

A granian WSGI worker waits for its stop in its main thread, on a lock without a timeout, and
stops from a Python signal handler. The kernel hands a process-wide SIGINT or SIGTERM to any of
its threads that does not block it; when that is one of the server's own threads, the handler is
only marked as due, the main thread never wakes up to run it, and the worker sits there until
granian kills it ("Killing worker-2 after it refused to gracefully stop"): measured, about one
stop in two. Here the handler's wake-up byte (`signal.set_wakeup_fd`, written by whichever
thread took the signal) is read by a small thread that sends the signal once more, to the main
thread itself: its wait is interrupted and the handler runs.
"""

from __future__ import annotations

import os
import signal
import threading

from dailypapers.wsgi import application

__all__ = ["application"]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _forward(read_end: int, main_thread: int) -> None:
    forwarded: set[int] = set()
    while True:
        for number in os.read(read_end, 64):
            if number in STOP_SIGNALS and number not in forwarded:
                forwarded.add(number)  # once: the forwarded signal writes its byte too
                signal.pthread_kill(main_thread, number)


def forward_stop_signals() -> bool:
    """Install the forwarding (from the main thread, where granian loads the application);
    False where it cannot be (another thread, or a wake-up descriptor already in use)."""
    if threading.current_thread() is not threading.main_thread():
        return False
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    previous = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    if previous != -1:
        signal.set_wakeup_fd(previous)  # someone else's: leave it theirs
        os.close(read_end)
        os.close(write_end)
        return False
    main_thread = threading.main_thread().ident
    assert main_thread is not None
    threading.Thread(
        target=_forward, args=(read_end, main_thread), name="stop-signals", daemon=True
    ).start()
    return True


forward_stop_signals()

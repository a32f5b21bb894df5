"""`dailypapers worker`: the job queue's consumer (ingestion, digests, vectors, the log).

huey's `run_huey`, with three additions: leases of this machine's dead workers are released
first; long tasks see the consumer's stop flag (`core/stopping.py`), so SIGINT (a graceful stop)
ends within about a second of work rather than after a 40 s embedding run; and a graceful stop
waits at most `--shutdown-timeout` seconds for the running tasks (huey waits for ever by
default), after which they are abandoned: periodic tasks run again at the next start, and their
leases are released then (`leases.release_dead`). A SIGTERM that follows a SIGINT (`serve`
passes SIGTERM on to its children after a Ctrl-C has reached the whole group) does not turn the
graceful stop under way into an abrupt one.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from types import FrameType

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import autodiscover_modules
from huey.consumer import Consumer
from huey.consumer_options import ConsumerConfig
from huey.contrib.djhuey import HUEY

from dailypapers.core import leases, runs, stopping

SHUTDOWN_TIMEOUT_SECONDS = 6.0


class GracefulConsumer(Consumer):
    """huey's consumer, except that a SIGTERM after a SIGINT keeps the graceful stop.

    huey notes the last signal and acts on it at its next look (every 0.1 s, or later when a
    task's thread holds the interpreter): after a Ctrl-C, `serve`'s SIGTERM to its children
    could arrive first and abandon a task that was about to stop cleanly between batches.
    """

    def _handle_signal(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGTERM and self._signum == signal.SIGINT:
            return  # the graceful stop goes on, bounded by the shutdown timeout
        super()._handle_signal(signum, frame)


class Command(BaseCommand):
    help = "Run the background worker: the huey consumer with its periodic tasks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--shutdown-timeout",
            type=float,
            default=SHUTDOWN_TIMEOUT_SECONDS,
            help="On SIGINT, seconds to wait for running tasks before leaving them "
            f"({SHUTDOWN_TIMEOUT_SECONDS:g}); SIGTERM stops at once.",
        )

    def handle(self, *args: object, **options: object) -> None:
        # A worker of this machine killed mid-task left its leases: they go now, not when they
        # expire. Those of other machines' workers are theirs (or expire by themselves).
        leases.release_dead()
        values = dict(settings.HUEY.get("consumer", {}))
        values["shutdown_timeout"] = options["shutdown_timeout"]
        autodiscover_modules("tasks")
        config = ConsumerConfig(**values)
        config.validate()
        logger = logging.getLogger("huey")
        if not logger.handlers:
            config.setup_logger(logger)
        runs.connect(HUEY)  # the last run of each task, for `dailypapers doctor`
        consumer = GracefulConsumer(HUEY, **config.values)
        stopping.watch(consumer.stop_flag)
        consumer.run()
        # Out at once: a task abandoned by the stop may still be inside onnxruntime or a socket
        # on a daemon thread, and the interpreter's exit would wait for it (its open transaction
        # is rolled back by the database either way).
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

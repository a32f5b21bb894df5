"""The worker's consumer: a SIGTERM after a SIGINT keeps the graceful stop (the race behind a
Ctrl-C of `serve`, which passes SIGTERM on to a worker that has had the SIGINT already)."""

import signal

import pytest
from huey.contrib.djhuey import HUEY

from dailypapers.ops.management.commands.worker import GracefulConsumer


@pytest.fixture
def consumer():
    previous = signal.getsignal(signal.SIGINT)
    yield GracefulConsumer(HUEY, workers=1, worker_type="thread")
    signal.signal(signal.SIGINT, previous)  # huey swaps it after a first SIGINT


def test_a_sigterm_after_a_sigint_keeps_the_graceful_stop(consumer):
    consumer._handle_signal(signal.SIGINT, None)
    consumer._handle_signal(signal.SIGTERM, None)
    assert consumer._signum == signal.SIGINT
    assert consumer._graceful is True


def test_a_sigterm_alone_still_stops_at_once(consumer):
    consumer._handle_signal(signal.SIGTERM, None)
    assert consumer._signum == signal.SIGTERM
    assert consumer._graceful is False

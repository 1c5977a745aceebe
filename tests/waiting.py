"""Waiting in tests for what other threads will make true (polled, bounded, no fixed sleeps)."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], bool], timeout_s: float = 60.0,
               interval_s: float = 0.005) -> None:
    """Poll `condition` until it holds; fail the test if it never does within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition never met"
        time.sleep(interval_s)

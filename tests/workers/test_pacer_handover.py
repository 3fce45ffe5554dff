"""A company's pace goes from one worker to the next, and a worker that lost the company makes
no call at all."""

from __future__ import annotations

import pytest

from bridge.fortnox.pacing import Pacer
from bridge.workers.leases import Lease, LeaseLost


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_next_worker_goes_on_in_the_same_window():
    clock = Clock()
    first = Pacer(limit=3, seconds=5.0, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        with first.slot():
            clock.now += 0.5
    ages = first.recent()
    assert len(ages) == 3

    other = Clock()
    second = Pacer(limit=3, seconds=5.0, clock=other, sleep=other.sleep)
    second.remember(ages)
    assert second.ready_in() > 0  # the window the first worker filled is still full
    assert second.ready_in() == pytest.approx(first.ready_in())


def test_a_lost_lease_stops_the_call_before_it_is_made():
    clock = Clock()
    pacer = Pacer(limit=24, seconds=5.0, clock=clock, sleep=clock.sleep)
    lease = Lease("acme", 3, [], valid_until=0.0)  # trusted until long ago
    pacer.before_call = lease.check
    made = []
    with pytest.raises(LeaseLost), pacer.slot():
        made.append("call")
    assert made == [] and lease.lost

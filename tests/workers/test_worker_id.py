"""One id, one worker: the fence tells workers apart by their id, so a second live process
under an id already working is refused; a restart after a kill is not."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bridge.pipeline.lock import LockHeld
from bridge.workers.leases import Leases


def test_a_second_live_worker_under_the_same_id_is_refused(postgres_url):
    first = Leases(postgres_url, "w1", 30)
    first.register()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        # The first worker's row now names another live process on this host.
        first._run("UPDATE workers SET pid = %s WHERE worker = 'w1'", (sleeper.pid,))
        second = Leases(postgres_url, "w1", 30)
        with pytest.raises(LockHeld, match=r"already runs on .* --worker-id"):
            second.register()
        second.close()
    finally:
        sleeper.kill()
        sleeper.wait()
    first.close()


def test_a_worker_restarted_after_a_kill_takes_its_id_back_at_once(postgres_url):
    killed = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    killed.kill()
    os.waitid(os.P_PID, killed.pid, os.WEXITED | os.WNOWAIT)  # dead, not reaped: a zombie
    leases = Leases(postgres_url, "w1", 30)
    leases.register()
    leases._run("UPDATE workers SET pid = %s WHERE worker = 'w1'", (killed.pid,))
    again = Leases(postgres_url, "w1", 30)
    again.register()
    assert again._run("SELECT pid FROM workers WHERE worker = 'w1'") == [(os.getpid(),)]
    killed.wait()
    leases.close()
    again.close()

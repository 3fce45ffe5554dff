"""The queue benchmark's check of per-company serialisation finds what it claims to find, so
that its "0 overlapping, 0 out of order, 0 run twice" means something."""

from __future__ import annotations

from bench.bench_queue import _violations, missing


def test_one_company_after_another_is_clean() -> None:
    runs = [("a", 0, 0.0, 1.0), ("a", 1, 1.0, 2.0), ("b", 0, 0.5, 1.5)]
    assert _violations(runs) == {"overlapping": 0, "out of order": 0, "run twice": 0}


def test_two_jobs_of_one_company_at_once_are_counted() -> None:
    runs = [("a", 0, 0.0, 1.0), ("a", 1, 0.5, 2.0)]
    assert _violations(runs)["overlapping"] == 1


def test_a_later_job_started_first_is_out_of_order() -> None:
    runs = [("a", 1, 0.0, 1.0), ("a", 0, 1.0, 2.0)]
    assert _violations(runs)["out of order"] == 1


def test_a_job_run_twice_is_counted() -> None:
    runs = [("a", 0, 0.0, 1.0), ("a", 0, 5.0, 6.0)]
    assert _violations(runs)["run twice"] == 1


def test_an_engine_not_installed_is_skipped_naming_its_install_command() -> None:
    assert missing("raw") is None or "psycopg" in str(missing("raw"))
    reason = missing("pgqueuer")
    assert reason is None or "pip install -e '.[bench]'" in reason

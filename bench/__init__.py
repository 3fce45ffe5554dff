"""Benchmarks: each `bench_*.py` module has `main()` that prints its figures beside a baseline
measured in the same run. Run them all with `make bench`, or one with
`python -m bench NAME` (e.g. `python -m bench sie`)."""

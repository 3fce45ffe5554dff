"""The fast paths are an optimisation, never a second reader: on every SIE file kept in the
repository they read exactly what the exact tokenizer reads (the shared corpus is compared too,
in test_corpus.py, when it is present)."""

from __future__ import annotations

from sie_helpers import assert_fast_paths_agree, in_repo_sie_files


def test_the_fast_paths_read_every_in_repo_file_exactly_like_the_exact_tokenizer(monkeypatch):
    files = in_repo_sie_files()
    assert len(files) >= 25  # every fixture, the golden files and the samples
    assert_fast_paths_agree(files, monkeypatch)

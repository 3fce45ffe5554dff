"""The one table of Fortnox errors: every invented entry is marked, explained and numbered apart."""

from __future__ import annotations

from mockfortnox.errors import ERRORS, ApiError


def test_invented_entries_are_marked_explained_and_in_their_own_range():
    for name, entry in ERRORS.items():
        if isinstance(entry.code, int):
            invented = 2_999_000 <= entry.code <= 2_999_999
            assert invented == (entry.source == "invented"), name
        if entry.source == "invented":  # the newer services' string codes included
            assert entry.why, f"{name} must say why it had to be invented"


def test_one_entry_per_remote_code():
    codes = [entry.code for entry in ERRORS.values()]
    assert len(codes) == len(set(codes))


def test_casing_follows_the_recordings():
    assert ApiError("invoice_not_found").body() == {
        "ErrorInformation": {"Error": 1, "Message": "Kan inte hitta fakturan.", "Code": 2000434}
    }
    assert ApiError("invoice_not_found", status=400).body()["ErrorInformation"]["code"] == 2000434
    assert ApiError("invalid_filter").body() == {
        "ErrorInformation": {"error": 1, "message": "Ett ogiltigt filter har använts.", "code": 2000587}
    }

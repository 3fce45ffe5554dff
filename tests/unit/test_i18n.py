"""Swedish and English: the catalogs are complete, English is the source, the language is chosen once."""

import threading

import pytest

from bridge.config import load_settings
from bridge.util import i18n


def test_every_message_a_person_reads_has_its_swedish() -> None:
    gaps = i18n.missing("sv")
    assert gaps == [], "run `make messages` and translate:\n" + "\n".join(gaps)


def test_english_is_the_source_language() -> None:
    with i18n.language("en"):
        assert i18n._("Nothing to send") == "Nothing to send"
        assert i18n.ngettext("one file", "{n} files", 2) == "{n} files"


def test_an_unknown_language_is_refused_when_chosen_not_at_the_first_message() -> None:
    with pytest.raises(ValueError, match="sv, en"):
        i18n.use_language("de")


def test_worker_threads_speak_the_language_the_process_chose() -> None:
    before = i18n.current_language()
    heard: list[str] = []
    try:
        i18n.use_language("en")
        worker = threading.Thread(target=lambda: heard.append(i18n.current_language()))
        worker.start()
        worker.join()
    finally:
        i18n.use_language(before)
    assert heard == ["en"]


def test_swedish_is_the_default_and_the_environment_may_choose_english(tmp_path) -> None:
    assert load_settings(tmp_path, environ={})["ui.language"] == "sv"
    assert load_settings(tmp_path, environ={"FORTNOX_UI_LANGUAGE": "en"})["ui.language"] == "en"

"""Swedish and English for everything a person reads.

Messages are written in English in the code and marked with `_()` (or `N_()` where a table of
constants is built before any language is chosen); Swedish lives in gettext catalogs,
`bridge/locale/sv/LC_MESSAGES/<domain>.po`, kept by Babel (`make messages` extracts and merges).
The catalogs are read as `.po` at first use, so there is no compiled file to forget.

The language is chosen per process or request (`use_language`), from `ui.language` (default
`sv`: the people who drop files work in Swedish offices). JSON output stays language-neutral:
it carries stable codes, never translated sentences.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

__all__ = [
    "DEFAULT_LANGUAGE",
    "DOMAINS",
    "LANGUAGES",
    "N_",
    "_",
    "current_language",
    "language",
    "ngettext",
    "translations",
    "use_language",
]

LANGUAGES = ("sv", "en")
DEFAULT_LANGUAGE = "sv"
# One catalog per part of the product, so the console and the bridge's own texts can grow apart.
DOMAINS = ("messages", "console")
SOURCE_LANGUAGE = "en"

# The process speaks one language (set once from the settings; worker threads inherit it), and a
# block may speak another (a console request in the language its reader chose).
_process_language = DEFAULT_LANGUAGE
_block_language: ContextVar[str | None] = ContextVar("language", default=None)


@cache
def translations(lang: str, domain: str = "messages") -> gettext.NullTranslations:
    """The catalog of `domain` in `lang`; English (the source) and unknown catalogs translate nothing."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    if lang == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    po = resources.files("bridge") / "locale" / lang / "LC_MESSAGES" / f"{domain}.po"
    if not po.is_file():
        return gettext.NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=lang, domain=domain)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=domain)


def current_language() -> str:
    return _block_language.get() or _process_language


def use_language(lang: str) -> None:
    """Choose the language of this process, all its threads included, from now on."""
    global _process_language
    translations(lang)  # refuse an unknown language here, not at the first message
    _process_language = lang


@contextmanager
def language(lang: str) -> Iterator[None]:
    """Speak `lang` inside the block (a console request, a receipt for one company)."""
    translations(lang)
    token = _block_language.set(lang)
    try:
        yield
    finally:
        _block_language.reset(token)


def _(message: str, domain: str = "messages") -> str:
    return translations(current_language(), domain).gettext(message)


def ngettext(singular: str, plural: str, count: int, domain: str = "messages") -> str:
    return translations(current_language(), domain).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark a message for the catalog without translating it yet (tables built at import)."""
    return message


# -- Keeping the catalogs (`make messages`; the completeness test) --------------------------------

_TEMPLATES = "jinja2.ext:babel_extract"
_METHODS = [
    ("**/templates/**.j2", _TEMPLATES),
    ("**/templates/**.html", _TEMPLATES),
    ("**.py", "python"),
]


def _domain_of(path: str) -> str:
    return "console" if path.startswith("console/") else "messages"


def extracted() -> dict[str, dict[str, tuple[str, ...]]]:
    """Every marked message in the package, by domain: msgid -> where it is used."""
    from babel.messages.extract import extract_from_dir

    package = resources.files("bridge")
    found: dict[str, dict[str, tuple[str, ...]]] = {domain: {} for domain in DOMAINS}
    options = {"**/templates/**": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
    for path, line, message, _comments, _context in extract_from_dir(
        str(package), _METHODS, options_map=options
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if not msgid:
            continue
        where = found[_domain_of(path)].setdefault(msgid, ())
        found[_domain_of(path)][msgid] = (*where, f"{path}:{line}")
    return found


def missing(lang: str = "sv") -> list[str]:
    """Messages used in the code that the `lang` catalog lacks or marks fuzzy, with where used."""
    gaps = []
    for domain, messages in extracted().items():
        catalog = _read_catalog(lang, domain)
        for msgid, where in sorted(messages.items()):
            entry = catalog.get(msgid) if catalog is not None else None
            if entry is None or entry.fuzzy or not _translated(entry.string):
                gaps.append(f"{domain}: {msgid!r} ({where[0]})")
    return gaps


def update_catalogs(lang: str = "sv") -> None:
    """Add new messages (untranslated) and drop vanished ones, keeping every translation made."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    for domain, messages in extracted().items():
        template = Catalog(domain=domain, project="fortnox-bridge")
        for msgid, where in messages.items():
            template.add(msgid, locations=[(w.rsplit(":", 1)[0], int(w.rsplit(":", 1)[1])) for w in where])
        catalog = _read_catalog(lang, domain) or Catalog(
            locale=lang, domain=domain, project="fortnox-bridge", copyright_holder="fortnox-bridge"
        )
        template.creation_date = catalog.creation_date  # a header that changes on every run is noise in diffs
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.fuzzy = False
        target = _catalog_path(lang, domain)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            write_po(out, catalog, width=100, sort_output=True, include_previous=False)
    translations.cache_clear()


def _catalog_path(lang: str, domain: str) -> Path:
    return Path(str(resources.files("bridge"))) / "locale" / lang / "LC_MESSAGES" / f"{domain}.po"


def _read_catalog(lang: str, domain: str) -> Catalog | None:
    path = _catalog_path(lang, domain)
    if not path.is_file():
        return None
    with path.open("rb") as source:
        return read_po(source, locale=lang, domain=domain)


def _translated(string: object) -> bool:
    return all(string) if isinstance(string, (tuple, list)) else bool(string)


if __name__ == "__main__":
    update_catalogs()
    gaps = missing()
    print(f"{len(gaps)} messages await their Swedish" + (":\n  " + "\n  ".join(gaps) if gaps else ""))

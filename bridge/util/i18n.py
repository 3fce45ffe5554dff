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
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    "translate_message",
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
    # Babel only here: the SIE engine marks its messages (N_) and travels in the mock's own
    # distribution, which has no Babel and speaks no language but English.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

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


def translate_message(message: str, domain: str = "messages") -> str:
    """A message stored in English (an importer's problem, a planned call's label, kept in the
    ledger) in the reader's language. A constant is looked up as it is; one built from a marked
    template such as `N_("%(value)s is not a number") % {...}` is recognised by that template
    and its values carried into the translation (themselves translated, for a label built of
    labels)."""
    lang = current_language()
    if lang == SOURCE_LANGUAGE or not message:
        return message
    return _translation_of(lang, message, domain)


@lru_cache(maxsize=4096)
def _translation_of(lang: str, message: str, domain: str) -> str:
    """Kept: a receipt translates the same labels for every document (the catalogs never change
    in a running bridge), and matching a message against every template is what costs."""
    return _translate_message(lang, message, domain, depth=3)


def _translate_message(lang: str, message: str, domain: str, depth: int) -> str:
    if not message or depth == 0:
        return message
    catalog = translations(lang, domain)
    exact = catalog.gettext(message)
    if exact != message:
        return exact
    rule = _RULE.match(message)
    if rule is not None:  # `[BR-CO-10] the sum …`: the rule's name is the same in every language
        return rule[1] + _translate_message(lang, rule[2], domain, depth)
    templates, loose_templates = _candidates(lang, domain, message)
    for pattern, translated, _loose, (head, tail) in templates:
        if not (message.startswith(head) and message.endswith(tail)):
            continue  # cannot match: a template's fixed start and end are in every message of it
        match = _regex(pattern).fullmatch(message)
        if match is not None:
            values = {k: _translate_message(lang, v, domain, depth - 1) for k, v in match.groupdict().items()}
            return translated % values
    # A template ending in a long value (`an attachment was left out: %(reason)s`) is taken only
    # when that value is itself a known message, so that no sentence is swallowed by mistake.
    for _pattern, translated, loose, (head, _tail) in loose_templates:
        match = _regex(loose).fullmatch(message) if loose is not None and message.startswith(head) else None
        if match is None:
            continue
        values = {k: _translate_message(lang, v, domain, depth - 1) for k, v in match.groupdict().items()}
        last = list(match.groupdict())[-1]
        if values[last] != match[last]:
            return translated % values
    return message


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdr]")
# An e-invoice rule's name before its message, as the validators write it: `[BR-CO-10] …`.
_RULE = re.compile(r"(\[[A-Za-z0-9][A-Za-z0-9.-]*\] )(.+)", re.DOTALL)
# A value at the very end of a template is a short thing (a number, a key, a name of a few
# words), so that `voucher %(key)s` never swallows a whole sentence that merely begins alike.
_LAST_VALUE = r"\S+(?: \S+){0,5}"
# A template: its pattern, its translation, its pattern with a loose last value (or None), and
# its fixed start and end.
_Template = tuple[str, str, str | None, tuple[str, str]]


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.DOTALL)


@cache
def _templates(lang: str, domain: str) -> list[_Template]:
    """The catalog's templates with their translations and their fixed start and end, those
    with the most fixed text first (so that `%(a)s: %(b)s` never wins over one that says more).
    Their patterns are compiled when first tried (`_regex`): most are never needed in a run."""
    found = []
    for msgid, msgstr in getattr(translations(lang, domain), "_catalog", {}).items():
        if not isinstance(msgid, str) or not msgstr or "%(" not in msgid:
            continue
        parts = _PLACEHOLDER.split(msgid)
        fixed, names = parts[0::2], parts[1::2]
        if len(set(names)) != len(names) or sum(len(f) for f in fixed) < 8:
            continue
        regex = loose = ""
        for i, text in enumerate(fixed):
            regex += re.escape(text.replace("%%", "%"))
            loose += re.escape(text.replace("%%", "%"))
            if i < len(names):
                last = i == len(names) - 1 and not fixed[-1]
                regex += f"(?P<{names[i]}>{_LAST_VALUE if last else '.*?'})"
                loose += f"(?P<{names[i]}>{'.+' if last else '.*?'})"
        translated = _PLACEHOLDER.sub(lambda m: f"%({m[1]})s", msgstr)
        ends_in_value = bool(names) and not fixed[-1]
        found.append(
            (
                regex,
                translated,
                loose if ends_in_value else None,
                (fixed[0].replace("%%", "%"), fixed[-1].replace("%%", "%")),
                sum(len(f) for f in fixed),
            )
        )
    found.sort(key=lambda item: -item[4])
    return [(pattern, translated, loose, ends) for pattern, translated, loose, ends, _size in found]


_KEY = 2  # a template's first characters, by which its candidates for a message are found


def _candidates(lang: str, domain: str, message: str) -> tuple[list[_Template], list[_Template]]:
    """The templates that can match `message` by their fixed start and last character, in
    `_templates`' order; and those that can by their start and have a loose pattern. A receipt
    translates several messages per document, and a look at every template for each was most
    of a receipt's time."""
    return _candidates_for(lang, domain, message[:_KEY], message[-1:])


@lru_cache(maxsize=4096)
def _candidates_for(lang: str, domain: str, start: str, last: str) -> tuple[list[_Template], list[_Template]]:
    by_start, any_start = _template_index(lang, domain)
    candidates = [template for _rank, template in sorted(by_start.get(start, []) + any_start)]
    fitting = [t for t in candidates if t[3][1].endswith(last) or not t[3][1]]
    return fitting, [t for t in candidates if t[2] is not None]


@cache
def _template_index(
    lang: str, domain: str
) -> tuple[dict[str, list[tuple[int, _Template]]], list[tuple[int, _Template]]]:
    """`_templates` by the first characters of their fixed start; those with a shorter start apart."""
    by_start: dict[str, list[tuple[int, _Template]]] = {}
    any_start: list[tuple[int, _Template]] = []
    for rank, template in enumerate(_templates(lang, domain)):
        head = template[3][0]
        if len(head) >= _KEY:
            by_start.setdefault(head[:_KEY], []).append((rank, template))
        else:
            any_start.append((rank, template))
    return by_start, any_start


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


def extracted() -> dict[str, dict[Any, tuple[str, ...]]]:
    """Every marked message in the package, by domain: msgid -> where it is used."""
    from babel.messages.extract import extract_from_dir

    package = resources.files("bridge")
    found: dict[str, dict[Any, tuple[str, ...]]] = {domain: {} for domain in DOMAINS}
    options = {"**/templates/**": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
    for path, line, message, _comments, _context in extract_from_dir(
        str(package), _METHODS, options_map=options
    ):
        # ngettext's (singular, plural) travels whole, so that the catalog gets both forms
        msgid = (
            tuple(message[:2])
            if isinstance(message, tuple) and len(message) > 1 and message[1]
            else (message[0] if isinstance(message, tuple) else message)
        )
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
        for msgid, where in sorted(messages.items(), key=lambda item: str(item[0])):
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
            write_po(out, catalog, width=100, sort_output=True, include_previous=False, include_lineno=False)
    translations.cache_clear()


def _catalog_path(lang: str, domain: str) -> Path:
    return Path(str(resources.files("bridge"))) / "locale" / lang / "LC_MESSAGES" / f"{domain}.po"


def _read_catalog(lang: str, domain: str) -> Catalog | None:
    from babel.messages.pofile import read_po

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

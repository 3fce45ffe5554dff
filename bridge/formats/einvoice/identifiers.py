"""Swedish identifiers on invoices: organisation numbers, VAT numbers, giro numbers and OCR.

All checks are the public algorithms (Luhn for organisation numbers and OCR, ISO 7064 mod 97
for IBAN); none of them looks anything up.
"""

from __future__ import annotations

import re

__all__ = [
    "digits_only",
    "iban_ok",
    "is_ocr",
    "is_personal_number",
    "looks_like_iban",
    "luhn_ok",
    "normalise_org_number",
    "normalise_vat_number",
    "org_number_from_vat",
]

_NON_DIGITS = re.compile(r"\D")
_SEPARATORS = re.compile(r"[\s\-.]")
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")


def digits_only(text: str) -> str:
    return _NON_DIGITS.sub("", text)


def luhn_ok(digits: str) -> bool:
    """The mod-10 (Luhn) check used by Swedish organisation numbers, personnummer and OCR."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def normalise_org_number(text: str) -> str | None:
    """`556560-0854`, `5565600854` and `16556560-0854` → `5565600854`; anything else → None.

    A 12-digit personnummer (`19800101-1234`) keeps its 10-digit form, as Fortnox writes it.
    """
    cleaned = _SEPARATORS.sub("", text)
    if not cleaned.isdigit():
        return None
    if len(cleaned) == 12 and cleaned[:2] in ("16", "18", "19", "20"):
        cleaned = cleaned[2:]
    return cleaned if len(cleaned) == 10 else None


def is_personal_number(text: str) -> bool:
    """Is this a personnummer (or samordningsnummer) rather than an organisation number?

    Both have ten digits (twelve with the century); a personnummer's third and fourth digits
    are its month, 01–12, while an organisation number's third digit is 2 or more.
    """
    normal = normalise_org_number(text.replace("+", "-"))
    if normal is None:
        return False
    cleaned = _SEPARATORS.sub("", text.replace("+", "-"))
    if len(cleaned) == 12 and cleaned.startswith("16"):
        return False
    return 1 <= int(normal[2:4]) <= 12


def normalise_vat_number(text: str) -> str:
    """Upper case without spaces, dots or dashes: `se 5565 600854 01` → `SE556560085401`."""
    return _SEPARATORS.sub("", text).upper()


def org_number_from_vat(vat_number: str) -> str | None:
    """The organisation number inside a Swedish VAT number (`SE` + 10 digits + `01`)."""
    vat = normalise_vat_number(vat_number)
    if len(vat) == 14 and vat.startswith("SE") and vat[2:].isdigit():
        return vat[2:12]
    return None


def is_ocr(text: str) -> bool:
    """Does a payment reference look like an OCR number: 2–25 digits passing the Luhn check?"""
    return text.isdigit() and 2 <= len(text) <= 25 and luhn_ok(text)


def looks_like_iban(text: str) -> bool:
    return bool(_IBAN.fullmatch(_SEPARATORS.sub("", text).upper()))


def iban_ok(text: str) -> bool:
    """An IBAN whose ISO 7064 mod-97 check digits are right."""
    iban = _SEPARATORS.sub("", text).upper()
    if not _IBAN.fullmatch(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1

"""Cancel files: `cancel*.txt` in the inbox cancels preliminary supplier invoices.

One line per invoice, written as you would after `fortnox-bridge cancel`:

    # cancel-2026-11-22.txt
    supplierinvoice 123                        (Fortnox's number, GivenNumber)
    supplierinvoice F-2026-17 --supplier 7     (the supplier's invoice number; supplier number)
    supplierinvoice 8841 --supplier 556677-8899 (… or the supplier's organisation number)

Empty lines and lines starting with `#` are skipped. A file is taken whole or not at all.
"""

from __future__ import annotations

import shlex

from bridge.formats.csvtable import decode_text
from bridge.importers.base import Source
from bridge.model import Cancellation, Extraction, Problem
from bridge.util.i18n import N_

__all__ = ["CancelImporter", "cancellation", "cancellation_key", "parse_cancel_line"]

KINDS = ("supplierinvoice",)
USAGE = "write `supplierinvoice <number>` or `supplierinvoice <invoice number> --supplier <supplier>`"


def cancellation_key(number: str, supplier: str | None) -> str:
    return f"supplierinvoice:{supplier}:{number}" if supplier else f"supplierinvoice:{number}"


def parse_cancel_line(text: str, line: int | None = None) -> Cancellation | Problem:
    try:
        words = shlex.split(text)
    except ValueError as exc:
        return Problem(f"cannot read the line: {exc}", line=line, hint=USAGE, code="cancel.syntax")
    supplier = None
    if "--supplier" in words:
        at = words.index("--supplier")
        if at + 1 >= len(words):
            return Problem(N_("--supplier needs the supplier"), line=line, hint=USAGE, code="cancel.syntax")
        supplier = words[at + 1]
        del words[at : at + 2]
    if len(words) != 2 or words[0].lower() not in KINDS:
        return Problem(f"not a cancellation: {text.strip()!r}", line=line, hint=USAGE, code="cancel.syntax")
    return cancellation(words[1], supplier, line)


def cancellation(number: str, supplier: str | None = None, line: int | None = None) -> Cancellation | Problem:
    """Cancel supplier invoice `number`: Fortnox's number, or the supplier's own with `supplier`."""
    if not supplier and not number.isdigit():
        return Problem(
            f"{number!r} is not a Fortnox supplier invoice number (digits only)",
            line=line,
            hint=N_("add --supplier <supplier> to cancel by the supplier's own invoice number"),
            code="cancel.syntax",
        )
    return Cancellation(cancellation_key(number, supplier), number, supplier, line)


class CancelImporter:
    name = "cancel"

    def identify(self, source: Source) -> bool:
        name = source.name.lower()
        return name.startswith("cancel") and name.endswith(".txt")

    def extract(self, source: Source) -> Extraction:
        try:
            text = decode_text(source.path.read_bytes())[0]
        except UnicodeDecodeError as exc:
            problem = Problem(f"cannot read the file as text: {exc}", code="cancel.encoding")
            return Extraction(self.name, problems=(problem,))
        documents: list[Cancellation] = []
        problems: list[Problem] = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parsed = parse_cancel_line(line, number)
            if isinstance(parsed, Cancellation):
                documents.append(parsed)
            else:
                problems.append(parsed)
        if problems:
            return Extraction(self.name, problems=tuple(problems))
        return Extraction(self.name, tuple(documents), facts={"cancellations": len(documents)})

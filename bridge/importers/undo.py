"""Undo files: `undo-*.txt` in the inbox undoes files the bridge sent, for people without a terminal.

One file name per line, as the file is named in `outbox/archive/` or `outbox/failed/` (its
receipt's name will do too), written as you would after `fortnox-bridge undo`:

    # undo-2026-11-22.txt
    fakturor-november.csv
    bokslut.se

Empty lines and lines starting with `#` are skipped. A file is taken whole or not at all: a
name the bridge never sent refuses it, naming the line. What each file created is read from
the bridge's ledger when the undo file is taken, not from this file.
"""

from __future__ import annotations

from pathlib import PurePath

from bridge.formats.csvtable import decode_text
from bridge.importers.base import Source
from bridge.model import Extraction, Problem, UndoRequest
from bridge.util.i18n import N_

__all__ = ["UndoImporter", "is_undo_file"]


def is_undo_file(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("undo") and lowered.endswith(".txt")


class UndoImporter:
    name = "undo"

    def identify(self, source: Source) -> bool:
        return is_undo_file(source.name)

    def extract(self, source: Source) -> Extraction:
        try:
            text = decode_text(source.path.read_bytes())[0]
        except UnicodeDecodeError as exc:
            problem = Problem(f"cannot read the file as text: {exc}", code="undo.encoding")
            return Extraction(self.name, problems=(problem,))
        requests: list[UndoRequest] = []
        for number, line in enumerate(text.splitlines(), 1):
            wanted = line.strip()
            if not wanted or wanted.startswith("#"):
                continue
            name = PurePath(wanted.replace("\\", "/")).name
            requests.append(UndoRequest(name, name, number))
        if not requests:
            problem = Problem(
                N_("the undo file names no file"),
                hint=N_(
                    "write the name of each file to undo on a line of its own, as it is in outbox/archive/"
                ),
                code="undo.empty",
            )
            return Extraction(self.name, problems=(problem,))
        return Extraction(self.name, tuple(requests), facts={"files named": len(requests)})

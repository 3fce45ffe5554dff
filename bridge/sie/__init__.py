"""SIE 1–4: reading (lenient, streaming), writing (CP437; Fortnox-shaped on request), #KSUMMA.

    from bridge import sie
    document = sie.read("export.se")            # a whole file → SieDocument (+ .problems)
    for record in sie.SieReader("big.se"):      # or record by record, each voucher whole
        ...
    sie.write(document, "copy.se")              # CP437, CRLF, #FORMAT PC8, quotes where needed
    sie.write(document, "fortnox.se", style=sie.FORTNOX)  # laid out like a Fortnox 3.60 export

Modules: `lexer` (lines and fields), `fast` (the fast paths: whole voucher blocks, rows, #VER, balances),
`labels` (every label's fields), `reader`, `records` (one immutable record per line),
`document` (a whole file), `checks` (rules per SIE type), `checksum` (#KSUMMA), `encodings`,
`values` (dates, amounts …), `problems` (every problem code), `writer`.
See `research/sie4.md` for the format.
"""

from bridge.sie.checksum import ChecksumResult, ChecksumStatus
from bridge.sie.document import Account, DocumentStream, SieDocument, differences, read
from bridge.sie.problems import CODES, SieError, SieProblem
from bridge.sie.reader import SieReader, Source
from bridge.sie.records import (
    AccountFact,
    Address,
    Balance,
    Checksum,
    Dimension,
    DimensionObject,
    Generated,
    ObjectBalance,
    ObjectList,
    OrgNumber,
    PeriodBalance,
    Program,
    Record,
    Transaction,
    UnknownRecord,
    Value,
    Voucher,
    Year,
)
from bridge.sie.writer import FORTNOX, STANDARD, SieWriter, Style, to_bytes, write

__all__ = [
    "CODES",
    "FORTNOX",
    "STANDARD",
    "Account",
    "AccountFact",
    "Address",
    "Balance",
    "Checksum",
    "ChecksumResult",
    "ChecksumStatus",
    "Dimension",
    "DimensionObject",
    "DocumentStream",
    "Generated",
    "ObjectBalance",
    "ObjectList",
    "OrgNumber",
    "PeriodBalance",
    "Program",
    "Record",
    "SieDocument",
    "SieError",
    "SieProblem",
    "SieReader",
    "SieWriter",
    "Source",
    "Style",
    "Transaction",
    "UnknownRecord",
    "Value",
    "Voucher",
    "Year",
    "differences",
    "read",
    "to_bytes",
    "write",
]

"""SIE 1–4: reading (lenient, streaming), writing (CP437, Fortnox-shaped on request), #KSUMMA.

    from bridge import sie
    document = sie.read("export.se")            # whole file → SieDocument
    for record in sie.SieReader("big.se"):      # or record by record, vouchers whole
        ...
    sie.write(document, "copy.se")              # CP437, CRLF, #FORMAT PC8

See `research/sie4.md` for the format; `bridge.sie.problems.CODES` for every problem reported.
"""

from bridge.sie.checksum import ChecksumResult, ChecksumStatus
from bridge.sie.document import Account, SieDocument, differences, read
from bridge.sie.problems import CODES, SieError, SieProblem
from bridge.sie.reader import SieReader, Source
from bridge.sie.records import (
    AccountFact,
    Address,
    Balance,
    Checksum,
    Dimension,
    DimensionObject,
    FinancialYear,
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
    "FinancialYear",
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
    "differences",
    "read",
    "to_bytes",
    "write",
]

"""The documents the bridge moves: immutable records, money as `Decimal`, problems as data.

Importers turn files into these records; the planner turns records into Fortnox calls,
judged against the company's registers (`MasterData`, at the end). Nothing here does I/O.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from operator import attrgetter
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from bridge.util import dumpb

__all__ = [
    "Account",
    "AllowanceCharge",
    "Article",
    "Attachment",
    "Cancellation",
    "Customer",
    "DeclaredCompany",
    "DeclaredYear",
    "Dimension",
    "DimensionObject",
    "Document",
    "DocumentKey",
    "Extraction",
    "FinancialYear",
    "Invoice",
    "InvoiceRow",
    "JournalDeclarations",
    "LedgerBalance",
    "MasterData",
    "MonetaryTotals",
    "Party",
    "PaymentMeans",
    "PdfFile",
    "Problem",
    "Project",
    "PurchaseOrder",
    "PurchaseOrderRow",
    "Reversal",
    "Severity",
    "SieDeclarations",
    "SupplierInvoice",
    "SupplierInvoiceRow",
    "UndoRequest",
    "VatBreakdown",
    "Voucher",
    "VoucherRow",
    "content_hash",
    "json_and_hash",
    "to_json",
    "to_plain",
]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """Something wrong with an input, said so that a person can fix it.

    `line` is the 1-based line in the source file, `field` the column or element name,
    `hint` what to do about it. Errors stop a document; warnings travel with it.
    """

    message: str
    line: int | None = None
    field: str | None = None
    hint: str = ""
    severity: Severity = Severity.ERROR
    code: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def where(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(f"column/field {self.field!r}")
        return ", ".join(parts)


@dataclass(frozen=True)
class DocumentKey:
    """What makes a document the same document: (tenant, kind, the source's own key)."""

    tenant: str
    kind: str
    source_key: str

    def __str__(self) -> str:
        return f"{self.kind} {self.source_key}"


@dataclass(frozen=True)
class Party:
    """A customer or a supplier as the source file describes it."""

    name: str
    number: str | None = None
    organisation_number: str | None = None
    vat_number: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    zip_code: str | None = None
    city: str | None = None
    country_code: str | None = None
    is_private: bool = False
    bankgiro: str | None = None
    plusgiro: str | None = None
    iban: str | None = None
    bic: str | None = None
    f_tax: bool | None = None
    # The party's electronic address as `scheme:value` (Peppol EndpointID, e.g. `0007:5560000000`).
    endpoint_id: str | None = None


@dataclass(frozen=True)
class Attachment:
    """A file that travels with a document; `name` is always built by us, never by the input."""

    name: str
    media_type: str
    data: bytes = field(repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class InvoiceRow:
    description: str
    quantity: Decimal
    price: Decimal
    vat: Decimal | None = None
    account: int | None = None
    article_number: str | None = None
    unit: str | None = None
    discount: Decimal | None = None
    cost_center: str | None = None
    project: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Invoice:
    """A customer invoice; `source_key` is the invoice number in the source system."""

    source_key: str
    customer: Party
    rows: tuple[InvoiceRow, ...]
    invoice_date: date | None = None
    due_date: date | None = None
    currency: str | None = None
    your_reference: str | None = None
    our_reference: str | None = None
    comments: str | None = None
    cost_center: str | None = None
    project: str | None = None
    credit_of: str | None = None
    line: int | None = None

    kind = "invoice"


@dataclass(frozen=True)
class VoucherRow:
    """One bookkeeping row; `amount` is positive for debit and negative for credit (as in SIE).

    `objects` are all the row's (dimension, object) pairs as the source gave them — cost centre
    (dimension 1) and project (6) among them; `transaction_date` is the row's own date when it
    differs from the voucher's.
    """

    account: int
    amount: Decimal
    text: str | None = None
    cost_center: str | None = None
    project: str | None = None
    quantity: Decimal | None = None
    line: int | None = None
    objects: tuple[tuple[str, str], ...] = ()
    transaction_date: date | None = None


@dataclass(frozen=True)
class Voucher:
    """A voucher (verifikation); `source_key` identifies it in the source, e.g. `A 12 20250131`."""

    source_key: str
    transaction_date: date
    description: str
    rows: tuple[VoucherRow, ...]
    series: str | None = None
    source_number: str | None = None
    registration_date: date | None = None
    line: int | None = None

    kind = "voucher"

    @property
    def balance(self) -> Decimal:
        return sum((row.amount for row in self.rows), Decimal(0))


@dataclass(frozen=True)
class SupplierInvoiceRow:
    """A cost row; `amount` is the row's net amount in the invoice currency."""

    amount: Decimal
    description: str | None = None
    account: int | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    price: Decimal | None = None
    article_number: str | None = None
    vat_rate: Decimal | None = None
    cost_center: str | None = None
    project: str | None = None
    line: int | None = None
    # From e-invoices: the VAT category code (S, Z, E, AE, K, G, O …) and the buyer's own
    # accounting string for the row (EN 16931 BT-133), which may name an account or cost centre.
    vat_category: str | None = None
    accounting_cost: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class VatBreakdown:
    """The VAT of one category and rate, as the invoice states it (EN 16931 BG-23)."""

    category: str
    rate: Decimal | None
    taxable_amount: Decimal
    vat_amount: Decimal
    exemption_reason: str | None = None
    exemption_reason_code: str | None = None


@dataclass(frozen=True)
class AllowanceCharge:
    """A document-level discount (`is_charge` false) or fee (true) with no row of its own."""

    is_charge: bool
    amount: Decimal
    reason: str | None = None
    reason_code: str | None = None
    base_amount: Decimal | None = None
    percent: Decimal | None = None
    vat_category: str | None = None
    vat_rate: Decimal | None = None
    line: int | None = None


@dataclass(frozen=True)
class PaymentMeans:
    """One way to pay the invoice.

    `kind` is `bankgiro`, `plusgiro`, `iban`, `bank-account`, `card`, `direct-debit` or `other`;
    `code` the UN/CEFACT payment means code as written (Svefaktura has none of its own).
    """

    kind: str
    account: str | None = None
    code: str | None = None
    bic: str | None = None
    account_name: str | None = None
    payment_id: str | None = None
    due_date: date | None = None


@dataclass(frozen=True)
class MonetaryTotals:
    """The document totals as stated (EN 16931 BG-22); absent optional totals are `None`."""

    line_extension: Decimal
    tax_inclusive: Decimal
    payable: Decimal
    tax_exclusive: Decimal | None = None
    allowances: Decimal | None = None
    charges: Decimal | None = None
    prepaid: Decimal | None = None
    rounding: Decimal | None = None


@dataclass(frozen=True)
class SupplierInvoice:
    """A supplier invoice; `source_key` is the supplier's identity plus its invoice number."""

    source_key: str
    supplier: Party
    invoice_number: str
    rows: tuple[SupplierInvoiceRow, ...]
    total: Decimal
    vat: Decimal
    invoice_date: date | None = None
    due_date: date | None = None
    currency: str = "SEK"
    currency_rate: Decimal | None = None
    rounding: Decimal = Decimal(0)
    ocr: str | None = None
    your_reference: str | None = None
    our_reference: str | None = None
    order_reference: str | None = None
    buyer_organisation_number: str | None = None
    is_credit: bool = False
    credit_of: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    attachments: tuple[Attachment, ...] = ()
    line: int | None = None
    # Filled by the e-invoice reader. Amounts are as the buyer books them: a credit has a
    # negative total, VAT, rows, breakdown and totals whatever sign convention the file used.
    buyer: Party | None = None
    vat_breakdown: tuple[VatBreakdown, ...] = ()
    allowance_charges: tuple[AllowanceCharge, ...] = ()
    payment_means: tuple[PaymentMeans, ...] = ()
    totals: MonetaryTotals | None = None
    payment_reference: str | None = None
    payment_terms: str | None = None
    tax_currency: str | None = None
    vat_in_tax_currency: Decimal | None = None
    accounting_cost: str | None = None
    project: str | None = None
    contract_reference: str | None = None
    document_type_code: str | None = None
    customization_id: str | None = None
    profile_id: str | None = None
    notes: tuple[str, ...] = ()

    kind = "supplierinvoice"


@dataclass(frozen=True)
class PdfFile:
    """A PDF dropped on its own: uploaded to a Fortnox inbox folder, or attached to the
    document its name names (`target` `voucher`, `supplierinvoice` or `invoice`, with
    `reference` the parts of its name: series, number and year; a number; a supplier and its
    invoice number). `folder` is the inbox folder its own folder asks for, if any."""

    source_key: str
    file: Attachment
    folder: str | None = None
    target: str | None = None
    reference: tuple[str, ...] = ()

    kind = "file"


@dataclass(frozen=True)
class Cancellation:
    """Cancel a preliminary (not booked) supplier invoice: by Fortnox's own number
    (GivenNumber), or by the supplier's invoice number when `supplier` (its Fortnox number or
    organisation number) is given."""

    source_key: str
    number: str
    supplier: str | None = None
    line: int | None = None

    kind = "cancel"


@dataclass(frozen=True)
class Customer:
    """A customer as a register file states it, to be created or updated by its number.

    Empty cells are `None` and leave Fortnox's value alone; `is_private` is `None` when the
    file does not say. `source_key` is the number and the file it came from, so that the same
    customer in a later file is applied again (a register is a state, not an event).
    """

    source_key: str
    number: str
    name: str
    organisation_number: str | None = None
    vat_number: str | None = None
    is_private: bool | None = None
    address: str | None = None
    address2: str | None = None
    zip_code: str | None = None
    city: str | None = None
    country_code: str | None = None
    email: str | None = None
    email_invoice: str | None = None
    phone: str | None = None
    terms_of_payment: str | None = None
    currency: str | None = None
    your_reference: str | None = None
    our_reference: str | None = None
    line: int | None = None

    kind = "customer"


@dataclass(frozen=True)
class Project:
    """A project as a register file states it. Fortnox needs a start date to create one;
    `status` is Fortnox's word (`NOTSTARTED`, `ONGOING`, `COMPLETED`) or `None`."""

    source_key: str
    number: str
    name: str
    start_date: date | None = None
    end_date: date | None = None
    leader: str | None = None
    status: str | None = None
    contact_person: str | None = None
    comments: str | None = None
    line: int | None = None

    kind = "project"


@dataclass(frozen=True)
class Article:
    """An article as a register file states it; `type` is `STOCK` or `SERVICE` when given."""

    source_key: str
    number: str
    description: str
    unit: str | None = None
    vat: Decimal | None = None
    sales_price: Decimal | None = None
    purchase_price: Decimal | None = None
    sales_account: int | None = None
    type: str | None = None
    ean: str | None = None
    line: int | None = None

    kind = "article"


@dataclass(frozen=True)
class UndoRequest:
    """Undo what the file `name` created in Fortnox (its name in `outbox/archive/` or
    `failed/`, or its receipt's). Resolved against the ledger into `Reversal`s before planning."""

    source_key: str
    name: str
    line: int | None = None

    kind = "undo-request"


@dataclass(frozen=True)
class Reversal:
    """One record a file created in Fortnox, to be reversed the way Fortnox allows.

    `target` says what it is: `voucher`, `invoice`, `credit-invoice`, `supplierinvoice`,
    `supplierinvoice-credit`, `supplierinvoice-accrual`, `inbox-file`, `voucher-file`,
    `supplierinvoice-file` or `invoice-attachment`. `record` holds its fields as Fortnox
    answered when the file created it; `source_key` is its identity in Fortnox, so the same
    record is reversed once whichever undo asks. `original` names the document that created it
    and `file` the file; `voucher_date` dates a reversing voucher (None: the original's date).
    """

    source_key: str
    target: str
    record: Mapping[str, Any]
    original: str
    file: str
    voucher_date: date | None = None

    kind = "undo"


Document = (
    Invoice
    | Voucher
    | SupplierInvoice
    | PdfFile
    | Cancellation
    | Customer
    | Project
    | Article
    | UndoRequest
    | Reversal
)


@dataclass(frozen=True)
class PurchaseOrderRow:
    """What is ordered: an article (our number) or only a description, a quantity at a unit
    price (net, in the order's currency), and where its cost is booked."""

    quantity: Decimal
    price: Decimal
    article_number: str | None = None
    description: str | None = None
    account: int | None = None
    project: str | None = None
    line: int | None = None

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.price


@dataclass(frozen=True)
class PurchaseOrder:
    """A purchase order from the ordering system; `source_key` is its order number there.

    `cancelled`: the ordering system cancelled it; the same order number then voids the order
    (its key is the order number with `#cancelled`, so it is a document of its own, sent once)."""

    source_key: str
    order_number: str
    supplier: Party
    rows: tuple[PurchaseOrderRow, ...]
    order_date: date | None = None
    delivery_date: date | None = None
    currency: str = "SEK"
    cancelled: bool = False
    note: str | None = None
    line: int | None = None

    kind = "purchaseorder"

    @property
    def total(self) -> Decimal:
        return sum((row.amount for row in self.rows), Decimal(0))


@dataclass(frozen=True)
class Extraction:
    """What an importer found in one file: documents, problems, facts worth reporting (for
    people and receipts only: nothing plans from them) and, for a bookkeeping file, the
    registers it declares (`declarations`), which the planner judges as a whole."""

    importer: str
    documents: tuple[Any, ...] = ()
    problems: tuple[Problem, ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)
    declarations: SieDeclarations | JournalDeclarations | None = None

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)


def to_plain(value: Any) -> Any:
    """A JSON-ready view of a record (Decimal stays Decimal; bytes become their digest)."""
    return _plain(value, True)


def to_json(value: Any) -> bytes:
    """The compact JSON of `to_plain(value)`, written straight from a record of plain fields."""
    return dumpb(value if _encoded_as_plain(type(value)) else _plain(value, True))


def content_hash(document: Any) -> str:
    """A stable digest of a document's content, to tell a changed resend from the same one.

    It is the SHA-256 of the compact JSON of `to_plain(document)` without its line numbers (the
    same document moved to another line of another file is still the same document), and it
    stays that: ledgers keep these digests, and a SIE voucher without a number is known by one.
    A record of plain fields (a voucher, an invoice, not one with bytes) is that JSON as the
    encoder writes the record itself, with its `"line":…` members cut out of the text: in
    compact JSON a quote after `{` or `,` always opens a key, never sits inside a string.
    """
    if _encoded_as_plain(type(document)):
        return _digest_without_lines(dumpb(document))
    return hashlib.sha256(dumpb(_plain(document, False))).hexdigest()


def json_and_hash(document: Any) -> tuple[bytes, str]:
    """`to_json(document)` and `content_hash(document)`, from one writing of it when it can."""
    if _encoded_as_plain(type(document)):
        text = dumpb(document)
        return text, _digest_without_lines(text)
    return to_json(document), content_hash(document)


def _digest_without_lines(text: bytes) -> str:
    if b'"line":' in text:
        text = _LINE_MEMBER.sub(b"", text)
        if b'{"line":' in text:  # a record whose first field is its line
            text = _FIRST_LINE_MEMBER.sub(b"{", text)
    return hashlib.sha256(text).hexdigest()


_LINE_MEMBER = re.compile(rb',"line":(?:-?[0-9]+|null)')
_FIRST_LINE_MEMBER = re.compile(rb'\{"line":(?:-?[0-9]+|null),?')
_ENCODED_AS_PLAIN: dict[type, bool] = {}


def _encoded_as_plain(cls: type) -> bool:
    """Does the encoder write records of `cls` as `to_plain` would (fields of plain values,
    tuples and such records only)?"""
    known = _ENCODED_AS_PLAIN.get(cls)
    if known is None:
        known = _ENCODED_AS_PLAIN[cls] = False  # until proven, and for recursive types
        if is_dataclass(cls):
            try:
                hints = get_type_hints(cls)
            except (NameError, TypeError):
                return False
            known = _ENCODED_AS_PLAIN[cls] = all(_written_plain(hints[f.name]) for f in fields(cls))
    return known


def _written_plain(hint: Any) -> bool:
    if hint in _SCALARS:
        return True
    if get_origin(hint) in (UnionType, Union, tuple):
        return all(_written_plain(arg) for arg in get_args(hint) if arg is not Ellipsis)
    return isinstance(hint, type) and _encoded_as_plain(hint)


def _plain(value: Any, lines: bool) -> Any:
    view = _VIEWS.get((type(value), lines))
    if view is not None:
        return view(value)
    if is_dataclass(value) and not isinstance(value, type):
        return _view_for(type(value), lines)(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v, lines) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v, lines) for k, v in value.items() if lines or k != "line"}
    if isinstance(value, bytes):
        return {"sha256": hashlib.sha256(value).hexdigest(), "size": len(value)}
    if isinstance(value, StrEnum):
        return str(value)
    return value


# (record type, with line numbers) -> a function from a record to its plain view
_VIEWS: dict[tuple[type, bool], Callable[[Any], dict[str, Any]]] = {}

# Values the encoder writes as `to_plain` would, when no list is needed in place of a tuple.
_SCALARS = frozenset({str, int, bool, Decimal, date, type(None), Severity})


def _view_for(cls: type, lines: bool) -> Callable[[Any], dict[str, Any]]:
    """The plain view of one record type: its fields read at once, and only those that may
    hold records, bytes or (for `to_plain`) tuples converted further."""
    try:
        hints = get_type_hints(cls)
    except (NameError, TypeError):  # an annotation we cannot resolve: convert every field
        hints = {}
    names = tuple(f.name for f in fields(cls) if lines or f.name != "line")
    deep = tuple(i for i, name in enumerate(names) if not _is_scalar(hints.get(name, Any), lines))
    read: Callable[[Any], tuple[Any, ...]]
    if len(names) > 1:
        read = attrgetter(*names)
    else:  # attrgetter of one name answers the value itself, of none fails
        read = lambda record: tuple(getattr(record, name) for name in names)  # noqa: E731

    def view(record: Any) -> dict[str, Any]:
        if not deep:
            return dict(zip(names, read(record), strict=True))
        values = list(read(record))
        for i in deep:
            values[i] = _plain(values[i], lines)
        return dict(zip(names, values, strict=True))

    _VIEWS[cls, lines] = view
    return view


def _is_scalar(hint: Any, lines: bool) -> bool:
    """Is every value of this annotation written as is (no record, bytes, or — when `to_plain`
    must answer lists — tuple inside)?"""
    if hint in _SCALARS:
        return True
    origin = get_origin(hint)
    if origin in (UnionType, Union):
        return all(_is_scalar(arg, lines) for arg in get_args(hint))
    if origin is tuple and not lines:
        return all(_is_scalar(arg, lines) for arg in get_args(hint) if arg is not Ellipsis)
    return False


# --- Registers a bookkeeping file declares (SIE #KONTO, #DIM, #OBJEKT, #RAR, balances) --------


@dataclass(frozen=True)
class Account:
    """An account of the chart: number, name, and what SIE says of it (type T/S/K/I, unit, SRU)."""

    number: int
    name: str | None = None
    type: str | None = None
    unit: str | None = None
    sru: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dimension:
    """A dimension: 1 cost centres, 6 projects, others free; `parent` for a sub-dimension."""

    number: int
    name: str
    parent: int | None = None


@dataclass(frozen=True)
class DimensionObject:
    """An object within a dimension: a cost centre (dimension 1), a project (6) …"""

    dimension: int
    number: str
    name: str


@dataclass(frozen=True)
class DeclaredYear:
    """A financial year as a source file declares it (SIE #RAR); `index` is 0 for the file's
    current year, -1 for the one before …"""

    index: int
    start: date
    end: date


@dataclass(frozen=True)
class LedgerBalance:
    """A balance the source states: `kind` is IB (opening), UB (closing), RES (result), OIB/OUB
    (per object), PSALDO (change in `period` YYYYMM) or PBUDGET (budget for `period`)."""

    kind: str
    year_index: int
    account: int
    amount: Decimal
    quantity: Decimal | None = None
    period: str | None = None
    objects: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DeclaredCompany:
    """The company a bookkeeping file says it belongs to (SIE #FNAMN, #ORGNR, #FNR, #FTYP)."""

    name: str | None = None
    org_number: str | None = None
    company_id: str | None = None
    company_type: str | None = None


@dataclass(frozen=True)
class JournalDeclarations:
    """A journal CSV declares no registers, but its vouchers are judged as a whole — all into
    the one series `vouchers.series`, each balanced within the rounding tolerance — so that
    the file goes through whole or not at all."""


@dataclass(frozen=True)
class SieDeclarations:
    """What a SIE file declares besides its vouchers, for the planner to judge the file as a
    whole: the chart (#KONTO …), dimensions and objects, financial years (#RAR), balances,
    whose company it is, the program that wrote it (it names the series it creates) and its
    currency. `sie_type` is '1', '2', '3', '4E' or '4I'."""

    sie_type: str | None = None
    company: DeclaredCompany = field(default_factory=DeclaredCompany)
    program: str = ""
    currency: str = "SEK"
    accounts: tuple[Account, ...] = ()
    dimensions: tuple[Dimension, ...] = ()
    objects: tuple[DimensionObject, ...] = ()
    years: tuple[DeclaredYear, ...] = ()
    balances: tuple[LedgerBalance, ...] = ()


# --- The company's registers in Fortnox, as the planner judges documents against them ---------


@dataclass(frozen=True)
class FinancialYear:
    """A financial year in Fortnox, by its id there."""

    id: int
    from_date: date
    to_date: date

    def contains(self, day: date) -> bool:
        return self.from_date <= day <= self.to_date


@dataclass(frozen=True)
class MasterData:
    """What the bridge knows about a company's registers, for checking documents before sending.

    Every part may be unknown (`None`): a register the token has no scope for, or a company
    never reached. Unknown means "do not judge", never "does not exist".
    """

    fetched_at: str = ""
    organisation_number: str | None = None
    company_name: str | None = None
    financial_years: tuple[FinancialYear, ...] | None = None
    accounts: Mapping[int, Mapping[int, bool]] | None = None  # year id -> account number -> active
    voucher_series: Mapping[str, bool] | None = None  # code -> allows manual vouchers
    cost_centers: frozenset[str] | None = None
    projects: frozenset[str] | None = None
    locked_until: date | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def year_of(self, day: date) -> FinancialYear | None:
        return next((y for y in self.financial_years or () if y.contains(day)), None)

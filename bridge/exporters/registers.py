"""The registers `export masterdata` writes, and how each is read from Fortnox.

A register is read from its list (pages of 500). Where the list rows leave out what a mirror
needs — suppliers' bank details, customers' terms and VAT numbers — each record is read on its
own, but only when it is new or Fortnox's `lastmodified` filter says it changed since the last
export: a company's first export of 3,000 customers takes 3,000 calls (ten minutes at
Fortnox's limit), the next one a handful. Figures that change with every booking (an account's
balance, an article's stock, a series' next number) are not master data and are left out, so
that they do not make every export a change.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["REGISTERS", "Register", "register_names"]


@dataclass(frozen=True)
class Register:
    name: str  # file name, and the name `--registers` takes
    path: str
    collection: str  # the list's envelope
    key: tuple[str, ...]  # fields that identify a record
    columns: tuple[str, ...]  # the CSV's columns; the JSON keeps every field
    singular: str = ""  # envelope of one record: set when the list rows are not enough
    lastmodified: bool = False  # Fortnox filters the list by `lastmodified`
    per_year: bool = False  # one list per financial year (`?financialyear=<id>`)
    money: tuple[str, ...] = ()  # amounts and rates, written as exact decimals
    volatile: tuple[str, ...] = ()  # left out: they change with every booking


REGISTERS: tuple[Register, ...] = (
    Register(
        "financialyears", "/3/financialyears", "FinancialYears", ("Id",),
        ("Id", "FromDate", "ToDate", "AccountChartType", "AccountingMethod"),
    ),
    Register(
        "accounts", "/3/accounts", "Accounts", ("Year", "Number"),
        ("Year", "Number", "Description", "Active", "SRU", "VATCode", "CostCenterSettings", "ProjectSettings",
         "QuantitySettings", "TransactionInformationSettings", "BalanceBroughtForward"),
        per_year=True, money=("BalanceBroughtForward",), volatile=("BalanceCarriedForward",),
    ),
    Register(
        "voucherseries", "/3/voucherseries", "VoucherSeriesCollection", ("Code",),
        ("Code", "Description", "Manual"), volatile=("NextVoucherNumber", "Year"),
    ),
    Register(
        "predefinedaccounts", "/3/predefinedaccounts", "PreDefinedAccounts", ("Name",), ("Name", "Account"),
    ),
    Register(
        "costcenters", "/3/costcenters", "CostCenters", ("Code",), ("Code", "Description", "Note", "Active"),
    ),
    Register(
        "projects", "/3/projects", "Projects", ("ProjectNumber",),
        ("ProjectNumber", "Description", "Status", "StartDate", "EndDate", "ProjectLeader"),
    ),
    Register(
        "currencies", "/3/currencies", "Currencies", ("Code",),
        ("Code", "Description", "BuyRate", "SellRate", "Unit", "Date", "IsAutomatic"),
        money=("BuyRate", "SellRate", "Unit"),
    ),
    Register("termsofpayments", "/3/termsofpayments", "TermsOfPayments", ("Code",), ("Code", "Description")),
    Register(
        "suppliers", "/3/suppliers", "Suppliers", ("SupplierNumber",),
        ("SupplierNumber", "Name", "OrganisationNumber", "VATNumber", "Active", "Address1", "Address2",
         "ZipCode", "City", "CountryCode", "Email", "Phone1", "Currency", "TermsOfPayment", "VATType",
         "PreDefinedAccount", "OurCustomerNumber", "BG", "PG", "Bank", "ClearingNumber", "BankAccountNumber",
         "IBAN", "BIC", "DisablePaymentFile"),
        singular="Supplier", lastmodified=True,
    ),
    Register(
        "customers", "/3/customers", "Customers", ("CustomerNumber",),
        ("CustomerNumber", "Name", "OrganisationNumber", "VATNumber", "Type", "Active", "Address1", "Address2",
         "ZipCode", "City", "CountryCode", "Email", "EmailInvoice", "Phone1", "Currency", "TermsOfPayment",
         "PriceList", "VATType", "GLN"),
        singular="Customer", lastmodified=True,
    ),
    Register(
        "articles", "/3/articles", "Articles", ("ArticleNumber",),
        ("ArticleNumber", "Description", "Unit", "SalesPrice", "PurchasePrice", "VAT", "EAN", "Housework",
         "WebshopArticle", "StockPlace"),
        money=("SalesPrice", "PurchasePrice", "VAT"),
        volatile=("DisposableQuantity", "QuantityInStock", "ReservedQuantity", "StockValue"),
    ),
)  # fmt: skip


def register_names() -> tuple[str, ...]:
    return tuple(r.name for r in REGISTERS)

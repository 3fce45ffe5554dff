"""One module per Fortnox resource family: thin routes, rules in the `Resource` classes.

`RESOURCES` names every resource that seeds can fill, in the order seeds are applied
(registers before the documents that refer to them); `BLUEPRINTS` are the routes served.
"""

from __future__ import annotations

from mockfortnox.resources import (
    accruals,
    articles,
    attachments,
    bookkeeping,
    company,
    customers,
    files,
    invoices,
    orders,
    payments,
    predefinedaccounts,
    registers,
    sie,
    supplierinvoices,
    suppliers,
    vouchers,
)
from mockfortnox.resources.common import Resource

RESOURCES: dict[str, Resource] = {
    r.name: r
    for r in (
        bookkeeping.financialyears,
        bookkeeping.accounts_resource,
        bookkeeping.voucherseries,
        bookkeeping.predefinedvoucherseries,
        *registers.REGISTERS,
        customers.customers,
        articles.articles,
        suppliers.suppliers,
        invoices.invoices,
        orders.orders,
        supplierinvoices.supplierinvoices,
        payments.invoicepayments,
        payments.supplierinvoicepayments,
        accruals.invoiceaccruals,
        accruals.supplierinvoiceaccruals,
    )
}

BLUEPRINTS = (
    *company.BLUEPRINTS,
    *bookkeeping.BLUEPRINTS,
    vouchers.bp,
    sie.bp,
    *registers.BLUEPRINTS,
    customers.bp,
    articles.bp,
    suppliers.bp,
    invoices.bp,
    orders.bp,
    supplierinvoices.bp,
    *payments.BLUEPRINTS,
    *accruals.BLUEPRINTS,
    *files.BLUEPRINTS,
    attachments.bp,
    predefinedaccounts.bp,
)

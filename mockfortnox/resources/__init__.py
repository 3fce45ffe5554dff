"""One module per Fortnox resource family: thin routes, rules in the `Resource` classes.

`RESOURCES` names every resource that seeds can fill, in the order seeds are applied
(registers before the documents that refer to them); `BLUEPRINTS` are the routes served.
"""

from __future__ import annotations

from mockfortnox.resources import (
    accruals,
    articles,
    assets,
    attachments,
    bookkeeping,
    company,
    customers,
    files,
    invoice_delivery,
    invoices,
    links,
    noxfinans,
    orders,
    payments,
    predefinedaccounts,
    registers,
    salary,
    sales,
    services,
    settings,
    sie,
    supplierinvoices,
    suppliers,
    vouchers,
    warehouse,
    warehouse_stock,
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
        *settings.FAMILIES,
        *sales.FAMILIES,
        *links.FAMILIES,
        *assets.FAMILIES,
        *salary.FAMILIES,
        *noxfinans.FAMILIES,
        *warehouse_stock.FAMILIES,
        *warehouse.FAMILIES,
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
    invoice_delivery.bp,
    *settings.BLUEPRINTS,
    *sales.BLUEPRINTS,
    *links.BLUEPRINTS,
    *assets.BLUEPRINTS,
    *salary.BLUEPRINTS,
    *noxfinans.BLUEPRINTS,
    *warehouse.BLUEPRINTS,
    *warehouse_stock.BLUEPRINTS,
    *services.BLUEPRINTS,
)

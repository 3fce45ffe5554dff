"""One module per Fortnox resource family: thin routes, rules in the `Resource` classes.

`RESOURCES` names every resource that seeds and the control API can fill; `BLUEPRINTS` are
the routes the app serves.
"""

from __future__ import annotations

from mockfortnox.resources import articles, company, customers, invoices
from mockfortnox.resources.common import Resource

RESOURCES: dict[str, Resource] = {
    r.name: r for r in (customers.customers, articles.articles, invoices.invoices)
}

BLUEPRINTS = (company.bp, customers.bp, articles.bp, invoices.bp)

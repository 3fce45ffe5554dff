"""`/3/articles`: the article register. Sales accounts default from the company's settings."""

from __future__ import annotations

from decimal import Decimal

from mockfortnox.errors import ApiError
from mockfortnox.resources.common import Resource, crud_routes, money
from mockfortnox.state import Tenant

_STRING_NUMBERS = ("DisposableQuantity", "PurchasePrice", "QuantityInStock", "ReservedQuantity", "StockValue")


class Articles(Resource):
    name = "articles"
    singular = "Article"
    plural = "Articles"
    key = "ArticleNumber"
    scope = "article"
    not_found = "article_not_found"
    location = "articles"
    deletable = True
    first_number = 101  # recorded: articles numbered by the API are 101, 102, …
    list_fields = (
        "ArticleNumber",
        "Description",
        "DisposableQuantity",
        "EAN",
        "Housework",
        "PurchasePrice",
        "SalesPrice",
        "QuantityInStock",
        "ReservedQuantity",
        "StockPlace",
        "StockValue",
        "Unit",
        "VAT",
        "WebshopArticle",
    )
    template = {
        "ArticleNumber": "",
        "Bulky": False,
        "ConstructionAccount": 0,
        "Depth": 0,
        "Description": "",
        "DisposableQuantity": 0,
        "EAN": "",
        "EUAccount": 3108,
        "EUVATAccount": 3106,
        "ExportAccount": 3105,
        "Height": 0,
        "Housework": False,
        "HouseworkType": None,
        "Active": True,
        "Manufacturer": None,
        "ManufacturerArticleNumber": "",
        "Note": "",
        "PurchaseAccount": 4000,
        "PurchasePrice": 0,
        "QuantityInStock": 0,
        "ReservedQuantity": 0,
        "SalesAccount": 3001,
        "StockGoods": False,
        "StockPlace": None,
        "StockValue": 0,
        "StockWarning": 0,
        "SupplierName": None,
        "SupplierNumber": None,
        "Type": "STOCK",
        "Unit": None,
        "VAT": 25,
        "WebshopArticle": False,
        "Weight": 0,
        "Width": 0,
        "Expired": False,
        "SalesPrice": None,
        "CostCalculationMethod": None,
        "StockAccount": None,
        "StockChangeAccount": None,
        "DirectCost": None,
        "FreightCost": None,
        "OtherCost": None,
        "DefaultStockPoint": None,
        "DefaultStockLocation": None,
    }
    filters = {"active": lambda r: r["Active"] is True, "inactive": lambda r: r["Active"] is not True}
    search = {
        "articlenumber": "ArticleNumber",
        "description": "Description",
        "ean": "EAN",
        "suppliernumber": "SupplierNumber",
        "manufacturer": "Manufacturer",
        "manufacturerarticlenumber": "ManufacturerArticleNumber",
    }
    sort = {
        "articlenumber": "ArticleNumber",
        "quantityinstock": "QuantityInStock",
        "reservedquantity": "ReservedQuantity",
        "stockvalue": "StockValue",
    }

    def complete(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        if not str(record.get("Description") or "").strip():
            raise ApiError("required_field", field="Description")
        if creating and record["ArticleNumber"] in tenant.table(self.name):
            raise ApiError("article_number_taken", value=record["ArticleNumber"])
        for field_name in ("SalesPrice", "PurchasePrice"):
            if record.get(field_name) not in (None, ""):
                record[field_name] = money(record[field_name])

    def list_row(self, record: dict) -> dict:
        # Recorded: the list view prints these numbers as strings ("0").
        row = super().list_row(record)
        for field_name in _STRING_NUMBERS:
            if isinstance(row.get(field_name), (int, Decimal)):
                row[field_name] = str(row[field_name])
        return row


articles = Articles()
bp = crud_routes(articles)

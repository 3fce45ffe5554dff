"""Links from records to files and web pages: article and asset file connections (the file
leaves the inbox for the archive, as with vouchers), article URL connections and supplier
invoices' external URL connections."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from mockfortnox.errors import ApiError
from mockfortnox.resources.articles import articles
from mockfortnox.resources.common import api_root, crud_routes, json_response, lower_args
from mockfortnox.resources.family import Family, read_json
from mockfortnox.resources.files import FileConnections
from mockfortnox.resources.supplierinvoices import supplierinvoices
from mockfortnox.state import Tenant


class ArticleFileConnections(FileConnections):
    name, singular, plural = "articlefileconnections", "ArticleFileConnection", "ArticleFileConnections"
    location = "articlefileconnections"
    archive_folder = "Artiklar"
    template = {"ArticleNumber": "", "FileId": ""}
    search = {"articlenumber": "ArticleNumber"}

    def connect(self, tenant: Tenant, record: dict) -> None:
        if str(record["ArticleNumber"]) not in tenant.table(articles.name):
            raise ApiError("article_not_found", status=400)
        record.pop("Name", None)


class AssetFileConnections(FileConnections):
    name, singular, plural = "assetfileconnections", "AssetFileConnection", "AssetFileConnections"
    location = "assetfileconnections"
    scope = "assets"
    archive_folder = "Anläggningar"
    template = {"AssetId": "", "FileId": "", "Name": ""}

    def connect(self, tenant: Tenant, record: dict) -> None:
        if str(record["AssetId"]) not in tenant.table("assets"):
            raise ApiError("asset_not_found", status=400)
        record["AssetId"] = str(record["AssetId"])


class UrlConnection(Family):
    """A record's link to a web page: the address must be http(s)."""

    key = "Id"
    deletable = True
    url_field = ""

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        url = str(record[self.url_field])
        if not url.startswith(("http://", "https://")) or len(url) > 2048:
            raise ApiError("invalid_value", field=self.url_field, value=url)


class ArticleUrlConnections(UrlConnection):
    name, singular, plural = "articleurlconnections", "ArticleUrlConnection", "ArticleUrlConnections"
    scope = "article"
    not_found = "urlconnection_not_found"
    fields = "ArticleNumber !Id:i URLConnection"
    required = ("ArticleNumber", "URLConnection")
    references = {"ArticleNumber": articles.name}
    search = {"articlenumber": "ArticleNumber"}
    url_field = "URLConnection"


class SupplierInvoiceExternalUrlConnections(UrlConnection):
    name = "supplierinvoiceexternalurlconnections"
    singular = "SupplierInvoiceExternalURLConnection"
    plural = "SupplierInvoiceExternalURLConnections"
    scope = "supplierinvoice"
    not_found = "urlconnection_not_found"
    fields = "ExternalURLConnection !Id:i SupplierInvoiceNumber:i !Url"
    required = ("ExternalURLConnection", "SupplierInvoiceNumber")
    references = {"SupplierInvoiceNumber": supplierinvoices.name}
    url_field = "ExternalURLConnection"

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        super().rules(tenant, record, creating=creating)
        record["Url"] = f"{api_root()}3/supplierinvoices/{record['SupplierInvoiceNumber']}"


articlefileconnections = ArticleFileConnections()
assetfileconnections = AssetFileConnections()
articleurlconnections = ArticleUrlConnections()
externalurlconnections = SupplierInvoiceExternalUrlConnections()
FAMILIES = (articleurlconnections, externalurlconnections)

# Asset file connections and supplier-invoice URL connections take bare bodies (spec); the
# asset connection also answers bare.
asset_files_bp = Blueprint("assetfileconnections", __name__)
asset_files_bp.scope = "assets"


@asset_files_bp.get("/3/assetfileconnections")
def asset_files():
    wanted = lower_args().get("assetid")
    rows = [assetfileconnections.single(r) for r in assetfileconnections.query(g.tenant, {})
            if wanted in (None, r["AssetId"])]  # fmt: skip
    return json_response({"AssetFileConnections": rows})


@asset_files_bp.post("/3/assetfileconnections")
def connect_asset_file():
    record = assetfileconnections.create(g.tenant, read_json(error="no_data"))
    return json_response(assetfileconnections.single(record), 201, {"Location": "assetfileconnections"})


@asset_files_bp.delete("/3/assetfileconnections/<key>")
def disconnect_asset_file(key: str):
    assetfileconnections.delete(g.tenant, assetfileconnections.get(g.tenant, key))
    return Response(status=204)


external_bp = Blueprint("supplierinvoiceexternalurlconnections", __name__)
external_bp.scope = "supplierinvoice"
_EXT = externalurlconnections


@external_bp.post("/3/supplierinvoiceexternalurlconnections")
def external_create():
    record = _EXT.create(g.tenant, read_json(error="no_data"))
    return json_response({_EXT.singular: _EXT.single(record)}, 201, {"Location": _EXT.name})


@external_bp.route("/3/supplierinvoiceexternalurlconnections/<key>", methods=["GET", "PUT", "DELETE"])
def external_one(key: str):
    record = _EXT.get(g.tenant, key)
    if request.method == "DELETE":
        _EXT.delete(g.tenant, record)
        return Response(status=204)
    if request.method == "PUT":
        _EXT.update(g.tenant, record, read_json(error="no_data"))
    return json_response({_EXT.singular: _EXT.single(record)})


BLUEPRINTS = (
    crud_routes(articlefileconnections, update=False),
    asset_files_bp,
    crud_routes(articleurlconnections),
    external_bp,
)

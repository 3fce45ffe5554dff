"""The mock against Fortnox's own OpenAPI document, for every operation the mock implements.

Where the spec is right the mock's answers must conform to it. Where recorded real traffic
contradicts the spec, the recordings win: each such place is a `Deviation` below that patches
the spec in memory and names its evidence. The same for the few places where the spec
contradicts itself or the docs describe the real behaviour.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import hypothesis
import schemathesis
from conftest import normalise
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]


@dataclass(frozen=True)
class Deviation:
    schema: str
    properties: tuple[str, ...]
    patch: dict
    evidence: str


NULLABLE = {"nullable": True}
INVOICE_NULLS = (
    "DeliveryDate", "LastRemindDate", "OutboundDate", "TaxReduction", "TimeBasisReference",
    "VoucherNumber", "VoucherSeries", "VoucherYear", "FinalPayDate", "DueDate", "InvoiceDate",
)  # fmt: skip

DEVIATIONS = (
    Deviation("fortnox_Kf_InvoiceSingleItem", INVOICE_NULLS, NULLABLE,
              "recorded invoices/find_id_1.yml and save_new.yml: unset dates and voucher fields are null"),
    Deviation("fortnox_Kf_InvoiceSingleItem", ("InvoicePeriodStart", "InvoicePeriodEnd", "PaymentWay"),
              {"format": None, "enum": None},
              'recorded invoices/find_id_1.yml: empty strings ("") where the spec wants a date or an enum value'),
    Deviation("fortnox_DocumentEDIFieldSingleItem", ("*",), NULLABLE,
              "recorded invoices/find_id_1.yml: EDIInformation fields are null"),
    Deviation("fortnox_DocumentEmailFieldSingleItem", ("*",), NULLABLE,
              "recorded invoices/find_id_1.yml: EmailAddressFrom/CC/BCC are null"),
    Deviation("fortnox_Kf_InvoiceListItem", ("VoucherNumber", "VoucherSeries", "VoucherYear", "FinalPayDate"),
              NULLABLE, "recorded invoices/all.yml: null on unbooked and unpaid invoices"),
    Deviation("fortnox_Kf_InvoiceListItem", ("CurrencyRate",), {"type": "string"},
              'recorded invoices/all.yml: list rows print CurrencyRate as a string ("1")'),
    Deviation("fortnox_Kf_InvoiceRowSingleItem", ("HouseWorkHoursToReport", "HouseWorkType", "StockPointCode",
              "VATCode", "DeliveredQuantity", "ContributionPercent", "ContributionValue"), {"nullable": True, "type": None},
              "recorded invoices/save_with_nested_model.yml: null, and numbers printed as strings"),
    Deviation("fortnox_Kf_CustomerSingleItem", ("*",), NULLABLE,
              "recorded customers/find_id_1.yml and save_new.yml: unset text fields are null"),
    Deviation("fortnox_ArticleSingleItem", ("*",), NULLABLE,
              "recorded articles/save_new.yml: HouseworkType, Manufacturer, StockPlace, SalesPrice … are null"),
    Deviation("fortnox_ArticleSingleItem", ("ConstructionAccount",), {"minimum": None},
              "recorded articles/save_new.yml: ConstructionAccount 0, below the spec's minimum 1000"),
    Deviation("fortnox_ArticleListItem", ("*",), {"nullable": True, "type": None},
              'recorded articles/all.yml: null values, and PurchasePrice/QuantityInStock/StockValue as strings ("0")'),
    Deviation("fortnox_Project_ProjectSingleItem", ("ContactPerson", "EndDate", "ProjectLeader", "StartDate"), NULLABLE,
              "recorded projects/save_new.yml: unset fields are null"),
    Deviation("fortnox_Project_ProjectListItem", ("EndDate", "ProjectLeader", "StartDate", "ContactPerson"), NULLABLE,
              "recorded projects/multi_param_find_by_hash.yml: unset fields are null"),
    # Not recorded for these resources: the same service's convention recorded on invoices
    # (unset dates and the voucher fields of unbooked documents are null) is kept.
    Deviation("fortnox_Lf_SupplierInvoiceSingleItem", ("FinalPayDate", "VoucherNumber", "VoucherSeries", "VoucherYear"),
              NULLABLE, "convention recorded on invoices (invoices/all.yml)"),
    Deviation("fortnox_Lf_SupplierInvoiceListItem", ("FinalPayDate", "VoucherNumber", "VoucherSeries", "VoucherYear"),
              NULLABLE, "convention recorded on invoices (invoices/all.yml)"),
    Deviation("fortnox_Lf_SupplierInvoiceRowSingleItem", ("StockLocationCode", "StockPointCode"), NULLABLE,
              "convention recorded on invoice rows (StockPointCode null in invoices/save_with_nested_model.yml)"),
    Deviation("fortnox_Kf_InvoicePaymentSingleItem", ("VoucherNumber", "VoucherSeries", "VoucherYear"), NULLABLE,
              "convention recorded on invoices: unbooked documents have null voucher fields"),
    Deviation("fortnox_Kf_InvoicePaymentListItem", ("VoucherNumber", "VoucherSeries", "VoucherYear"), NULLABLE,
              "convention recorded on invoices: unbooked documents have null voucher fields"),
    Deviation("fortnox_Lf_SupplierInvoicePaymentSingleItem", ("VoucherNumber", "VoucherSeries", "VoucherYear"), NULLABLE,
              "convention recorded on invoices: unbooked documents have null voucher fields"),
    Deviation("fortnox_Lf_SupplierInvoicePaymentListItem", ("VoucherNumber", "VoucherSeries", "VoucherYear"), NULLABLE,
              "convention recorded on invoices: unbooked documents have null voucher fields"),
    Deviation("fortnox_Order_OrderSingleItem", ("DeliveryDate",), NULLABLE,
              "convention recorded on invoices: DeliveryDate null when unset (invoices/find_id_1.yml)"),
    Deviation("fortnox_Order_OrderListItem", ("DeliveryDate",), NULLABLE,
              "convention recorded on invoices: DeliveryDate null when unset (invoices/find_id_1.yml)"),
    Deviation("fortnox_CurrencySingleItem", ("Date",), NULLABLE, "convention recorded on invoices: unset dates are null"),
    Deviation("fortnox_Bf_AccountListItem", ("QuantitySettings", "TransactionInformationSettings"),
              {"type": "string", "enum": ["ALLOWED", "MANDATORY", "NOTALLOWED"]},
              "the spec contradicts itself: the single record and the request body type these as the enum string"),
    Deviation("fortnox_TaxReductionListItem", ("RequestSent",), {"type": "boolean", "format": None},
              "the spec contradicts itself: the single record and the request body type RequestSent as boolean"),
    Deviation("fortnox_Lon_EmployeeSingleItem", ("EmployedTo", "EmploymentDate"), NULLABLE,
              "convention recorded on invoices: unset dates are null"),
    Deviation("fortnox_Kf_NoxInvoiceSingleItem", ("NextEventDate",), NULLABLE,
              "convention recorded on invoices: unset dates are null"),
    Deviation("fortnox_ErrorInformation", ("*",), {},
              "recorded invoices/filter_invalid.yml: validation errors use lower-case keys (error/message/code); "
              "the schema, without required keys, already admits both casings"),
)  # fmt: skip


# Whole answers the spec describes wrongly: (path, method, status, schema, evidence).
ANSWER_DEVIATIONS = (
    ("/api/fileattachments/attachments-v1", "get", "200",
     {"type": "array", "items": {"$ref": "#/components/schemas/fileattachments_Attachment"}},
     "docs: a list of the entity's attachments; the spec's single object cannot hold several"),
    ("/api/fileattachments/attachments-v1", "post", "201",
     {"type": "array", "items": {"$ref": "#/components/schemas/fileattachments_Attachment"}},
     "docs: answers the created attachments; the spec's own request body is an array"),
    ("/api/fileattachments/attachments-v1/numberofattachments", "get", "200",
     {"type": "array", "items": {"$ref": "#/components/schemas/fileattachments_NumberOfAttachments"}},
     "the query takes several entityids; one count per entity comes back"),
)  # fmt: skip


# Families served by the declarative machinery, by the spec's schema-name prefixes: their unset
# dates and objects are null, the convention recorded on invoices (invoices/find_id_1.yml).
NULL_DATE_FAMILIES = (
    "fortnox_Offer_", "fortnox_ContractInvoice_", "fortnox_Lon_", "fortnox_Anl_", "fortnox_PriceSingleItem",
    "fortnox_PriceListItem", "fortnox_Kf_NoxInvoice", "fortnox_TaxReduction",
)  # fmt: skip
# Operations whose own answer text says "a list of …" while their schema is one object: the
# answer is an array (evidence: the spec's response description).
LIST_EVIDENCE = ("a list of", "list of document references")


def _as_lists(spec: dict) -> None:
    for operations in spec["paths"].values():
        for operation in operations.values():
            answer = operation.get("responses", {}).get("200", {})
            content = answer.get("content", {}).get("application/json", {})
            schema = content.get("schema", {})
            if "$ref" in schema and answer.get("description", "").strip().lower().startswith(LIST_EVIDENCE):
                content["schema"] = {"type": "array", "items": schema}


def _null_dates(spec: dict) -> None:
    for name, schema in spec["components"]["schemas"].items():
        if name.startswith(NULL_DATE_FAMILIES) and not name.endswith("_Wrap"):
            for prop in schema.get("properties", {}).values():
                if prop.get("format") in ("date", "date-time") or "$ref" in prop:
                    prop["nullable"] = True


def patched_spec(raw: dict) -> dict:
    spec = copy.deepcopy(raw)
    _as_lists(spec)
    _null_dates(spec)
    for path, method, status, schema, _evidence in ANSWER_DEVIATIONS:
        content = spec["paths"][path][method]["responses"][status]["content"]
        next(iter(content.values()))["schema"] = schema
    schemas = spec["components"]["schemas"]
    for deviation in DEVIATIONS:
        properties = schemas[deviation.schema].get("properties", {})
        names = properties if deviation.properties == ("*",) else deviation.properties
        for name in names:
            target = properties[name]
            for key, value in deviation.patch.items():
                if value is None:
                    target.pop(key, None)
                else:
                    target[key] = value
    return spec


def implemented_spec(raw: dict, app) -> dict:
    """The official spec, deviations applied, narrowed to the operations the mock serves."""
    ours = app.test_client().get("/openapi.json").get_json()["paths"]
    served = {(normalise(path), method) for path, operations in ours.items() for method in operations}
    spec = patched_spec(raw)
    spec["paths"] = {
        path: kept
        for path, operations in spec["paths"].items()
        if (kept := {m: op for m, op in operations.items() if (normalise(path), m) in served})
    }
    return spec


def test_every_deviation_names_a_real_schema_and_its_evidence(official_spec):
    schemas = official_spec["components"]["schemas"]
    for deviation in DEVIATIONS:
        assert deviation.schema in schemas and deviation.evidence
        for name in deviation.properties:
            assert name == "*" or name in schemas[deviation.schema]["properties"], (deviation.schema, name)


def test_the_mock_serves_every_operation_the_issue_names(official_spec, scenario):
    app, _, _ = scenario
    spec = implemented_spec(official_spec, app)
    count = sum(len(operations) for operations in spec["paths"].values())
    assert count >= 95, count  # all of inbox … attachments-v1, as GET /openapi.json lists them


def _path_values(path: str, keys: dict) -> dict:
    names = [segment[1:-1] for segment in path.split("/") if segment.startswith("{")]
    families = keys["paths"]
    if path in families["exact"]:
        return families["exact"][path]
    prefix = next((p for p in families["prefix"] if path.startswith(p)), None)
    if prefix is not None and path.split("/")[2] not in keys:
        return {name: families["prefix"][prefix].get(name, "1") for name in names}
    if path.startswith("/3/vouchers/"):
        return dict(zip(names, ["A", "1"], strict=False))
    resource = path.split("/")[2] if path.startswith("/3/") else "attachments-v1"
    return dict.fromkeys(names, keys[resource]) if names else {}


def _cases(official_spec: dict, scenario) -> list[tuple[str, str]]:
    app, _, _ = scenario
    spec = implemented_spec(official_spec, app)
    return [(path, method) for path, operations in spec["paths"].items() for method in operations]


def test_reads_and_partial_updates_conform(official_spec, scenario):
    """Every implemented GET, and every PUT sent as an empty partial update or action, against
    records that exist; answers (200 or a Fortnox error) must match the spec."""
    app, headers, keys = scenario
    schema = schemathesis.openapi.from_dict(implemented_spec(official_spec, app))
    schema.app = app
    failures = []
    for path, method in _cases(official_spec, scenario):
        if method not in ("get", "put"):
            continue
        operation = schema[path][method.upper()]
        extra: dict = {}
        if method == "put":
            envelope = _envelope(operation)
            extra = {"body": {envelope: {}} if envelope else {}, "media_type": "application/json"}
        if path.endswith("numberofattachments"):
            extra["query"] = {"entityids": keys["invoices"], "entitytype": "F"}
        elif "attachments-v1" in path:
            extra["query"] = {"entityid": keys["invoices"], "entitytype": "F"}
        case = operation.Case(path_parameters=_path_values(path, keys), headers=headers, **extra)
        response = case.call()
        try:
            case.validate_response(response, checks=CHECKS)
        except BaseExceptionGroup as group:  # collect them all: one report beats one at a time
            failures.extend(
                f"{method.upper()} {path} → {response.status_code}: {_summary(e)}" for e in group.exceptions
            )
    assert not failures, "\n\n".join(failures)


def _summary(failure: BaseException) -> str:
    lines = [line.strip() for line in str(failure).splitlines() if line.strip()]
    where = next((line for line in lines if line.startswith("Schema at")), "")
    return f"{lines[2] if len(lines) > 2 else lines[0]} | {where}"


def _envelope(operation) -> str | None:
    body = operation.definition.raw.get("requestBody")
    if not body:
        return None
    schema = next(iter(body["content"].values()))["schema"]
    name = schema.get("$ref", "").rsplit("/", 1)[-1]
    wrap = operation.schema.raw_schema["components"]["schemas"].get(name, {})
    return next(iter(wrap.get("properties", {})), None)


def test_generated_reads_conform(official_spec, scenario):
    """Property-based: for every implemented GET, schemathesis generates parameters from the
    spec; whatever the mock answers (a record, a list, a 4xx in Fortnox's envelope) must
    conform to it, and nothing may be a server error."""
    app, headers, _ = scenario
    schema = schemathesis.openapi.from_dict(implemented_spec(official_spec, app))
    schema.app = app
    operations = [result.ok() for result in schema.get_all_operations()]
    reads = [op for op in operations if op.method.upper() == "GET"]
    assert len(reads) >= 40

    for operation in reads:

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(max_examples=6, deadline=None, derandomize=True, database=None,
                             suppress_health_check=list(hypothesis.HealthCheck))  # fmt: skip
        def check(case) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

        check()


def test_generated_writes_conform(official_spec, scenario):
    """Property-based, for every implemented JSON POST, PUT and PATCH and every DELETE: schemathesis builds
    bodies and parameters from the spec; whatever the mock answers (a created record or a
    Fortnox validation error) must conform to the spec, and nothing may be a server error."""
    app, headers, _ = scenario
    schema = schemathesis.openapi.from_dict(implemented_spec(official_spec, app))
    schema.app = app
    operations = [result.ok() for result in schema.get_all_operations()]
    writes = [
        op
        for op in operations
        if op.method.upper() == "DELETE"
        or (
            op.method.upper() in ("POST", "PATCH", "PUT")
            and "multipart/form-data" not in str(op.definition.raw.get("requestBody"))
        )
    ]
    assert len(writes) >= 30

    for operation in writes:

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(max_examples=4, deadline=None, derandomize=True, database=None,
                             suppress_health_check=list(hypothesis.HealthCheck))  # fmt: skip
        def check(case) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

        check()

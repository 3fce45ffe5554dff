"""THE table of Fortnox errors the mock can answer, each with where we know it from.

`source` says how sure we are: "recorded" (seen in real Fortnox traffic), "docs" (Fortnox's
developer pages), "client" (client libraries and their issue trackers), "spec" (the official
OpenAPI document), "invented" (Fortnox never published it: the code and message are ours and
may be corrected when the real one is known). Invented codes live in 2999000–2999999.

`casing` follows the live API: its 404 answers capitalise the keys (recorded), validation
errors do not (recorded). `shape` "webexception" is the camelCase error of the newer `/api/…`
services: `{"error": "<string code>", "message": …, "id": …}` (spec).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

__all__ = ["ERRORS", "TOPICS_BEHAVIOUR", "ApiError", "FortnoxCode", "error_body"]

Source = Literal["recorded", "docs", "client", "spec", "invented"]


@dataclass(frozen=True)
class FortnoxCode:
    code: int | str
    message: str
    status: int
    source: Source
    casing: Literal["lower", "upper"] = "lower"
    shape: Literal["fortnox", "webexception"] = "fortnox"
    why: str = ""  # for invented entries: what made inventing it necessary


def _invented(code: int, message: str, status: int, why: str, casing: str = "lower") -> FortnoxCode:
    return FortnoxCode(code, message, status, "invented", casing, "fortnox", why)  # type: ignore[arg-type]


def _not_found(code: int, message: str, source: Source = "invented") -> FortnoxCode:
    why = "Fortnox's code for this missing record was not found in any source" if source == "invented" else ""
    return FortnoxCode(code, message, 404, source, "upper", "fortnox", why)


def _attachments(code: str, message: str, status: int = 400) -> FortnoxCode:
    return FortnoxCode(code, message, status, "spec", "lower", "webexception")


def _service(code: str, message: str, status: int = 400) -> FortnoxCode:
    why = "the newer services' error codes are not published; the body shape is the spec's WebException"
    return FortnoxCode(code, message, status, "invented", "lower", "webexception", why)


_NO_CODE = (
    "Fortnox never published a code for this rule; the rule itself is in the docs or accounting practice"
)

ERRORS: dict[str, FortnoxCode] = {
    # --- request shape ----------------------------------------------------------------
    "system_exception": FortnoxCode(1000003, "System exception", 500, "docs"),
    "invalid_content_type": FortnoxCode(1000031, "Invalid content type", 415, "docs"),
    "not_numeric": FortnoxCode(2000108, "Värdet måste vara numeriskt ({value})", 400, "docs"),
    "not_boolean": FortnoxCode(2000134, "Värdet måste vara en boolean ({value})", 400, "docs"),
    "forbidden_characters": FortnoxCode(
        2000359, "Värdet innehåller ej tillåtna tecken. ({value})", 400, "docs"
    ),
    "invalid_filter": FortnoxCode(2000587, "Ett ogiltigt filter har använts.", 400, "recorded"),
    "invalid_parameter": FortnoxCode(2000588, "Ogiltig parameter i anropet.", 400, "docs"),
    "no_data": FortnoxCode(2001392, "Ingen eller felaktig typ av data.", 400, "docs"),
    "unknown_field": FortnoxCode(2001399, "Felaktigt fältnamn", 400, "docs"),
    "bad_json": FortnoxCode(2002115, "Error deserializing JSON: JSON_ERROR_SYNTAX", 400, "docs"),
    "unknown_route": _invented(
        2999404, "Resursen finns inte.", 404, "answer to a path Fortnox does not have: not recorded", "upper"
    ),
    "method_not_allowed": _invented(
        2999405,
        "Metoden stöds inte för resursen.",
        405,
        "answer to a verb the spec lists no operation for (PUT/DELETE on vouchers …): not recorded",
    ),
    # --- authorisation ----------------------------------------------------------------
    "legacy_credentials": FortnoxCode(
        2000311, "Kan inte logga in, access-token eller client-secret saknas(2).", 401, "docs"
    ),
    "missing_scope": FortnoxCode(2000663, "Har inte behörighet för scope", 403, "client"),
    "missing_licence": FortnoxCode(2001101, "Det finns ingen aktiv licens för önskat scope", 403, "docs"),
    "missing_api_licence": FortnoxCode(2001103, "Api-licens saknas.", 403, "docs"),
    "rate_limited": _invented(
        2999429,
        "För många anrop. Försök igen om en stund.",
        429,
        "no source shows the body (or a Retry-After header) of a real 429",
    ),
    # --- not found (404s are capitalised in real traffic) -----------------------------------
    "account_not_found": _not_found(2000423, "Kan inte hitta kontot.", "docs"),
    "article_not_found": _not_found(2000428, "Kan inte hitta artikeln.", "recorded"),
    "termsofpayment_not_found": _not_found(2000429, "Kan inte hitta betalningsvillkoret.", "recorded"),
    "unit_not_found": _not_found(2000432, "Kan inte hitta enheten.", "recorded"),
    "customer_not_found": _not_found(2000433, "Kan inte hitta kunden.", "recorded"),
    "invoice_not_found": _not_found(2000434, "Kan inte hitta fakturan.", "recorded"),
    "order_not_found": _not_found(2000439, "Kan inte hitta ordern.", "recorded"),
    "project_not_found": _not_found(2001161, "Kan inte hitta projektet.", "recorded"),
    "voucher_not_found": _not_found(2999101, "Kan inte hitta verifikationen."),
    "voucherseries_not_found": _not_found(2999102, "Kan inte hitta verifikationsserien."),
    "financialyear_not_found": _not_found(2999103, "Kan inte hitta räkenskapsåret."),
    "supplier_not_found": _not_found(2999104, "Kan inte hitta leverantören."),
    "supplierinvoice_not_found": _not_found(2999105, "Kan inte hitta leverantörsfakturan."),
    "payment_not_found": _not_found(2999106, "Kan inte hitta betalningen."),
    "costcenter_not_found": _not_found(2999107, "Kan inte hitta kostnadsstället."),
    "currency_not_found": _not_found(2999108, "Kan inte hitta valutan."),
    "modeofpayment_not_found": _not_found(2999109, "Kan inte hitta betalningssättet."),
    "predefinedvoucherseries_not_found": _not_found(2999110, "Kan inte hitta den fördefinierade serien."),
    "accrual_not_found": _not_found(2999111, "Kan inte hitta periodiseringen."),
    "file_not_found": _not_found(2999112, "Kan inte hitta filen."),
    "folder_not_found": _not_found(2999113, "Kan inte hitta mappen."),
    "fileconnection_not_found": _not_found(2999114, "Kan inte hitta kopplingen."),
    "predefinedaccount_not_found": _not_found(2999120, "Kan inte hitta det fördefinierade kontot."),
    # families served by the declarative machinery (`resources/family.py`)
    **{
        f"{name}_not_found": _not_found(code, message)
        for code, (name, message) in enumerate(
            (
                ("offer", "Kan inte hitta offerten."),
                ("contract", "Kan inte hitta avtalet."),
                ("contracttemplate", "Kan inte hitta avtalsmallen."),
                ("contractaccrual", "Kan inte hitta avtalsperiodiseringen."),
                ("label", "Kan inte hitta etiketten."),
                ("taxreduction", "Kan inte hitta skattereduktionen."),
                ("termsofdelivery", "Kan inte hitta leveransvillkoret."),
                ("wayofdelivery", "Kan inte hitta leveranssättet."),
                ("pricelist", "Kan inte hitta prislistan."),
                ("price", "Kan inte hitta priset."),
                ("urlconnection", "Kan inte hitta länken."),
                ("asset", "Kan inte hitta inventarien."),
                ("assettype", "Kan inte hitta inventarietypen."),
                ("employee", "Kan inte hitta den anställda."),
                ("expense", "Kan inte hitta utlägget."),
                ("salarytransaction", "Kan inte hitta lönetransaktionen."),
                ("absencetransaction", "Kan inte hitta frånvarotransaktionen."),
                ("attendancetransaction", "Kan inte hitta närvarotransaktionen."),
                ("customerreference", "Kan inte hitta kundreferensen."),
                ("emailsender", "Kan inte hitta avsändaren."),
                ("noxfinansinvoice", "Kan inte hitta finansfakturan."),
                ("scheduletime", "Kan inte hitta schematiden."),
            ),
            start=2999121,
        )
    },
    # --- validation with published codes ------------------------------------------------
    "customer_number_taken": FortnoxCode(
        2000637,
        "Kundnummer {value} används redan. Kundnummer kan ha använts på en kund som tagits bort.",
        400,
        "docs",
    ),
    "account_missing_in_body": FortnoxCode(2001304, "Kunde inte hitta konto", 400, "docs"),
    # The spec publishes the code and what it means, not the message text.
    "predefinedaccount_account_invalid": FortnoxCode(
        2001265, "Kontot {account} är ogiltigt: det saknas, finns inte eller är inaktivt.", 400, "spec"
    ),
    "custom_vat_needs_account": FortnoxCode(
        2004167, "Ett konto måste anges när en egen momssats används.", 400, "spec"
    ),
    "housework_other_costs": FortnoxCode(
        2002980, "Kan inte sätta typen övrig kostnad på en rad markerad som husarbete.", 400, "recorded"
    ),
    "housework_type_retired": FortnoxCode(
        2003157, "Skattereduktion för den valda typen av husarbete har upphört.", 400, "recorded"
    ),
    # --- invented: Fortnox never published these ----------------------------------------
    "required_field": _invented(2999001, "Fältet {field} måste anges.", 400, _NO_CODE),
    "article_number_taken": _invented(2999002, "Artikelnummer {value} används redan.", 400, _NO_CODE),
    "invoice_customer_missing": _invented(2999003, "Kunden {value} finns inte.", 400, _NO_CODE),
    "document_booked": _invented(
        2999004,
        "Dokumentet är bokfört och kan inte ändras.",
        400,
        "booked documents are read-only (docs); no code",
    ),
    "document_cancelled": _invented(2999005, "Dokumentet är makulerat.", 400, _NO_CODE),
    "unbalanced": _invented(
        2999010,
        "Debet och kredit balanserar inte ({debit} / {credit}).",
        400,
        "unbalanced voucher: code not found",
    ),
    "too_few_rows": _invented(2999011, "Minst två rader måste anges.", 400, _NO_CODE),
    "locked_period": _invented(
        2999012,
        "Datumet {date} ligger i en låst period (till och med {end}).",
        400,
        "voucher in a locked period: code not found",
    ),
    "voucherseries_missing": _invented(
        2999013, "Verifikationsserien {series} finns inte.", 400, "missing voucher series: code not found"
    ),
    "voucherseries_not_manual": _invented(
        2999014,
        "Verifikationsserien {series} är inte manuell.",
        400,
        "message wording from third-party error guides; the code was never published",
    ),
    "financialyear_missing": _invented(
        2999015,
        "Det finns inget räkenskapsår för datumet {date}.",
        400,
        "missing financial year: code not found",
    ),
    "account_inactive": _invented(
        2999016, "Kontot {account} är inte aktivt.", 400, "inactive account reported by integrators; no code"
    ),
    "costcenter_missing": _invented(2999017, "Kostnadsstället {value} finns inte.", 400, _NO_CODE),
    "costcenter_required": _invented(2999018, "Kontot {account} kräver kostnadsställe.", 400, _NO_CODE),
    "project_required": _invented(2999019, "Kontot {account} kräver projekt.", 400, _NO_CODE),
    "already_booked": _invented(
        2999020, "Dokumentet är redan bokfört.", 400, "booking a booked document: code not found"
    ),
    "not_booked": _invented(2999021, "Dokumentet måste vara bokfört först.", 400, _NO_CODE),
    "already_credited": _invented(2999022, "Dokumentet är redan krediterat.", 400, _NO_CODE),
    "payment_before_invoice": _invented(
        2999024,
        "Betaldatum kan inte vara före fakturadatum.",
        400,
        "rule from third-party error guides; no code",
    ),
    "code_taken": _invented(2999025, "{value} används redan.", 400, _NO_CODE),
    "financialyear_overlap": _invented(
        2999026, "Räkenskapsåret överlappar ett befintligt räkenskapsår.", 400, _NO_CODE
    ),
    "date_outside_year": _invented(2999027, "Datumet {date} ligger inte i räkenskapsåret.", 400, _NO_CODE),
    "invalid_value": _invented(2999028, "Ogiltigt värde för {field}: {value}", 400, _NO_CODE),
    "supplier_missing": _invented(2999029, "Leverantören {value} finns inte.", 400, _NO_CODE),
    "file_in_use": _invented(2999030, "Filen är redan kopplad.", 400, _NO_CODE),
    "already_approved": _invented(2999031, "Leverantörsfakturan är redan attesterad.", 400, _NO_CODE),
    "reference_missing": _invented(2999032, "{field} {value} finns inte.", 400, _NO_CODE),
    "already_converted": _invented(
        2999033,
        "Dokumentet har redan förts över ({value}).",
        400,
        "converting an offer or order twice: no code",
    ),
    "no_email_address": _invented(2999034, "E-postadress saknas.", 400, _NO_CODE),
    "not_remindable": _invented(
        2999035, "Påminnelse kan bara skrivas ut för en bokförd, obetald faktura.", 400, _NO_CODE
    ),
    "contract_finished": _invented(2999036, "Avtalet är avslutat.", 400, _NO_CODE),
    "unbalanced_rows": _invented(2999037, "Raderna balanserar inte.", 400, _NO_CODE),
    "asset_state": _invented(2999038, "Inventarien kan inte ändras: {value}.", 400, _NO_CODE),
    "noxfinans_state": _invented(2999039, "Finansfakturan kan inte ändras: {value}.", 400, _NO_CODE),
    "einvoice_missing": _invented(
        2999040, "Kunden saknar uppgifter för e-faktura (organisationsnummer).", 400, _NO_CODE
    ),
    # --- the newer services (/api/warehouse, /api/time …): string codes, never published ---
    "service_not_found": _service("not_found", "The resource was not found", 404),
    "service_bad_body": _service(
        "invalid_request_body", "The request body is not valid JSON of the right shape"
    ),
    "service_required": _service("field_missing", "Missing mandatory field {field}"),
    "service_invalid": _service("invalid_field_value", "Invalid value for {field}: {value}"),
    "service_state": _service("invalid_state", "Not allowed in state {value}"),
    # --- the file-attachments service (`/api/fileattachments`): string codes from the spec ---
    "att_file_not_found": _attachments("file_not_found", "File not found", 404),
    "att_document_not_found": _attachments("document_not_found", "Document not found", 404),
    "att_attachment_not_found": _attachments("attachment_not_found", "Attachment not found", 404),
    "att_wrong_file_type": _attachments("wrong_file_type", "Only PDF files can be attached"),
    "att_file_too_big": _attachments("file_too_big", "The file is larger than 5 MB"),
    "att_too_many": _attachments(
        "too_many_attachments_in_one_request", "Too many attachments in one request"
    ),
    "att_total_exceeded": _attachments("max_total_attachments_exceeded", "Attachments exceed 15 MB in total"),
    "att_missing_field": _attachments("missing_mandatory_field", "Missing mandatory field {field}"),
    "att_not_writable": _attachments("field_not_writable", "Field {field} is not writable"),
    "att_mismatch": _attachments("mismatch_attachment_id", "Attachment id in body does not match the path"),
}


# The WebSocket topics (`topics.py`, `topics_server.py`): Fortnox's page "WebSockets" publishes the
# commands, the event's fields, offsets per topic, at-least-once delivery and replay about two
# weeks back; everything below is invented by the mock, in the same spirit as the codes above.
TOPICS_BEHAVIOUR: dict[str, str] = {
    "offsets": "opaque strings like Fortnox's example ('xDy7J'): base 62 of a position that grows "
    "with every event of the topic and starts from the mock's start time, so offsets are never reused",
    "replay": "an offset given in add-topics-v1 replays from that event itself (inclusive)",
    "expired offset": "an offset the log no longer holds (older than 14 days, or unknown) replays from "
    "the earliest event kept, as the AsyncAPI description of the service says; nothing tells the client",
    "no offset": "a topic added without an offset delivers the events published after subscribe-v1",
    "commands after subscribe": "add-tenants-v1, remove-tenants-v1 and add-topics-v1 are taken at any "
    "time; adding a tenant again replaces its access token",
    "replies": "add-tenants-v1 answers result 'ok' with tenantIds (token → tenant id) and invalidTokens; "
    "an unknown client secret answers result 'error' with every token invalid; a command the mock does "
    "not know, or a message that is not JSON, answers result 'error' with a message",
    "expired token": "events of a tenant whose access token has expired are held, not lost, and "
    "delivered once add-tenants-v1 brings a valid token for it",
    "scopes": "a tenant's events on a topic are delivered only if its token holds the topic's scope "
    "(SCOPES); the others are skipped for that connection",
    "which writes": "created/updated/deleted of every record on a topic's table; bookkeep and cancel "
    "of invoices and supplier invoices; invoicepayment-bookkeep-v1 and -deleted-v1 (a payment made "
    "is not an event until booked); a supplier invoice payment shows as supplier-invoice-updated-v1 "
    "of its invoice; a file connected to a voucher as voucher-updated-v1 and to a supplier invoice "
    "as supplier-invoice-updated-v1; voucher events also carry `year` (the financial year's id) and "
    "`series`. Accounts, voucher series, predefined accounts and files have no topic Fortnox lists, "
    "so no events",
    "child tenants": "includeChildTenants is accepted and changes nothing: the mock has no bureau tree",
    "persistence": "the log lives in memory: a restarted mock holds no events, so an offset from "
    "before the restart counts as expired",
}


class ApiError(Exception):
    """An error answer from the mock: a table entry plus the values its message names."""

    def __init__(self, name: str, *, status: int | None = None, **values: object) -> None:
        super().__init__(name)
        self.name = name
        self.entry = ERRORS[name]
        self.values = values
        # A record missing from the path is a 404; the same record missing as a reference
        # inside a body is a 400 with the same code and message.
        self.status = status or self.entry.status

    @property
    def message(self) -> str:
        return self.entry.message.format_map(_Missing(self.values))

    def body(self) -> dict:
        return error_body(self.entry, self.message, self.status)


def error_body(entry: FortnoxCode, message: str, status: int | None = None) -> dict:
    if entry.shape == "webexception":
        return {"error": entry.code, "message": message, "id": str(uuid.uuid4())}
    # Capitals were recorded on 404 answers only; a missing reference inside a body (400)
    # is a validation error and gets the validation casing.
    if entry.casing == "upper" and (status or entry.status) == 404:
        return {"ErrorInformation": {"Error": 1, "Message": message, "Code": entry.code}}
    return {"ErrorInformation": {"error": 1, "message": message, "code": entry.code}}


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return ""


# Behaviour Fortnox never published, chosen by following the spec; each may be corrected when
# the real behaviour is known. (Codes are in ERRORS above; these are the rules around them.)
INVENTED_BEHAVIOUR: dict[str, str] = {
    "services_ignore_unknown_fields": "the /api/ services (warehouse, time) ignore properties they do not know "
    "or that are theirs to set, where the classic /3/ API answers 2001399",
    "services_leave_out_unset_fields": "the /api/ services leave unset fields out of an answer instead of null",
    "service_error_codes": "the /api/ services' error codes (not_found, field_missing, invalid_field_value, "
    "invalid_state, invalid_request_body); only their body shape (WebException) is in the spec",
    "purchase_order_defaults": "a purchase order without currency, terms or delivery address takes the "
    "supplier's currency and terms and the company's address (the spec marks them required in answers)",
    "purchase_order_void": "a purchase order can be voided only while nothing has been received on it",
    "purchase_order_matches": "a purchase order's matches are the released incoming goods that delivered it "
    "(INCOMING_GOODS) and the same supplier's supplier invoices whose YourReference is the order's id or "
    "internal reference (SUPPLIER_INVOICE)",
    "purchase_order_list_state": "the list shows CURRENT orders (neither received nor voided) unless ?state= says",
    "incoming_goods_release": "releasing incoming goods adds the received quantity to stock and to the "
    "purchase order rows; voiding released goods takes both back",
    "default_stock_point": "a company's first stock point, LAGER, is made the first time a row names none",
    "outbound_needs_stock": "an outbound delivery or transfer that would take stock below zero is refused "
    "unless ?force=true",
    "stock_taking_states": "a stock taking is planning until released (completed) or voided",
    "production_order_release": "releasing a production order takes its package items from the outbound "
    "stock point and puts the product in the inbound one",
    "offer_conversion": "an offer becomes one order or one invoice, once; a converted or cancelled offer "
    "cannot be converted again",
    "contract_count": "a contract invoices ContractLength / InvoiceInterval times; the last invoice (or "
    "increaseinvoicecount) finishes it",
    "base_price": "every article has a price from quantity 0 in every price list (its sales price) that "
    "cannot be deleted; PUT on it stores it",
    "asset_depreciation": "straight-line depreciation month by month to DepreciationFinal, booked as one "
    "voucher per asset in series I (or the first manual series): 7831/1229 unless the type says otherwise",
    "asset_events": "an asset with booked events cannot be changed or deleted; sold or scrapped assets take "
    "no more events",
    "reminder": "a reminder can be printed for a booked, unpaid invoice; it counts Reminders and LastRemindDate",
    "einvoice": "sending an e-invoice needs the customer's organisation number",
    "eprint": "e-print needs the invoice's postal address",
    "noxfinans": "Fortnox Finans takes a booked, unpaid invoice; pause/unpause/stop/report-payment/take-fees "
    "move its Status (ONGOING, PAUSED, STOPPED, PAID)",
    "schedule": "an employee without a stored schedule works 8 hours Monday to Friday",
    "vacation_debt": "the vacation debt basis lists active employees with zero amounts (the mock runs no payroll)",
    "created_and_deleted_status": "families whose spec documents 200 for create or delete answer 200 "
    "(employees, salary rows, assets, Fortnox Finans); the delete's body is empty",
    "number_bound": "a number in a body of 10^15 or more, or with more than 12 decimals, is refused with "
    "2000108 (not numeric), as NaN and Infinity are refused as JSON syntax (2002115)",
    "bad_date": "a date that is not YYYY-MM-DD or not in the calendar answers 2999028 naming the field",
    "wrong_shape": "an object or a list where a field takes text or a number (or the reverse) answers "
    "2001392 (no or wrong type of data)",
    "currency_codes": "a currency in a body must be an ISO 4217 code or one in the company's register; "
    "any other answers 400 with the currency-not-found code",
    "consent_login": "the consent page asks for a login (e-mail and password) before the consent; a "
    "company's own user logs in with the password 'fortnox'; a wrong one shows the login again with 401",
    "consent_form_token": "the consent form carries a one-time token bound to the login and the client, "
    "valid 10 minutes; a POST without it, with another's or a second time answers a 403 page",
    "service_consent_admin": "a user who is not a system administrator approving account_type=service is "
    "sent back with error=access_denied and error_description 'Only a system administrator can approve "
    "a service account' (Fortnox's docs say only administrators may; its answer is not published)",
    "redirect_uri_exchange": "the code exchange must repeat the consent's redirect_uri exactly (none when "
    "the consent named none), else invalid_grant 'Invalid redirect_uri'",
    "refused_create_number": "a refused request gives back the numbers it drew: the next create gets "
    "the number the refused one would have had",
}
# The WebSocket topics' rules (TOPICS_BEHAVIOUR above) belong to the same list.
INVENTED_BEHAVIOUR.update({f"topics: {key}": text for key, text in TOPICS_BEHAVIOUR.items()})

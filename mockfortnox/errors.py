"""THE table of Fortnox errors the mock can answer, each with where we know it from.

`source` says how sure we are: "recorded" (seen in real Fortnox traffic), "docs" (Fortnox's
developer pages), "client" (client libraries and their issue trackers), "invented" (Fortnox
never published it: the code and message are ours and may be corrected when it is known).
`casing` follows the live API: its 404 answers capitalise the keys, validation errors do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["ERRORS", "ApiError", "FortnoxCode", "error_body"]

Source = Literal["recorded", "docs", "client", "spec", "invented"]


@dataclass(frozen=True)
class FortnoxCode:
    code: int
    message: str
    status: int
    source: Source
    casing: Literal["lower", "upper"] = "lower"


ERRORS: dict[str, FortnoxCode] = {
    # request shape
    "system_exception": FortnoxCode(1000003, "System exception", 500, "docs"),
    "invalid_response_type": FortnoxCode(1000030, "Invalid response type", 406, "docs"),
    "invalid_content_type": FortnoxCode(1000031, "Invalid content type", 415, "docs"),
    "not_numeric": FortnoxCode(2000108, "Värdet måste vara numeriskt ({value})", 400, "docs"),
    "not_alphanumeric": FortnoxCode(2000106, "Värdet måste vara alfanumeriskt ({value})", 400, "docs"),
    "not_boolean": FortnoxCode(2000134, "Värdet måste vara en boolean ({value})", 400, "docs"),
    "forbidden_characters": FortnoxCode(
        2000359, "Värdet innehåller ej tillåtna tecken. ({value})", 400, "docs"
    ),
    "invalid_filter": FortnoxCode(2000587, "Ett ogiltigt filter har använts.", 400, "recorded"),
    "invalid_parameter": FortnoxCode(2000588, "Ogiltig parameter i anropet.", 400, "docs"),
    "invalid_identifier": FortnoxCode(2000729, "A valid identifier was not provided.", 400, "docs"),
    "no_data": FortnoxCode(2001392, "Ingen eller felaktig typ av data.", 400, "docs"),
    "unknown_field": FortnoxCode(2001399, "Felaktigt fältnamn", 400, "docs"),
    "bad_json": FortnoxCode(2002115, "Error deserializing JSON: JSON_ERROR_SYNTAX", 400, "docs"),
    # authorisation
    "legacy_credentials": FortnoxCode(
        2000311, "Kan inte logga in, access-token eller client-secret saknas(2).", 401, "docs"
    ),
    "missing_scope": FortnoxCode(2000663, "Har inte behörighet för scope", 403, "client"),
    "missing_licence": FortnoxCode(2001101, "Det finns ingen aktiv licens för önskat scope", 403, "docs"),
    "missing_api_licence": FortnoxCode(2001103, "Api-licens saknas.", 403, "docs"),
    # not found (404s are capitalised in real traffic)
    "account_not_found": FortnoxCode(2000423, "Kan inte hitta kontot.", 404, "docs", "upper"),
    "article_not_found": FortnoxCode(2000428, "Kan inte hitta artikeln.", 404, "recorded", "upper"),
    "termsofpayment_not_found": FortnoxCode(
        2000429, "Kan inte hitta betalningsvillkoret.", 404, "recorded", "upper"
    ),
    "unit_not_found": FortnoxCode(2000432, "Kan inte hitta enheten.", 404, "recorded", "upper"),
    "customer_not_found": FortnoxCode(2000433, "Kan inte hitta kunden.", 404, "recorded", "upper"),
    "invoice_not_found": FortnoxCode(2000434, "Kan inte hitta fakturan.", 404, "recorded", "upper"),
    "project_not_found": FortnoxCode(2001161, "Kan inte hitta projektet.", 404, "recorded", "upper"),
    # validation
    "customer_number_taken": FortnoxCode(
        2000637,
        "Kundnummer {value} används redan. Kundnummer kan ha använts på en kund som tagits bort.",
        400,
        "docs",
    ),
    "account_missing_in_body": FortnoxCode(2001304, "Kunde inte hitta konto", 400, "docs"),
    "custom_vat_needs_account": FortnoxCode(
        2004167, "Ett konto måste anges när en egen momssats används.", 400, "spec"
    ),
    # --- invented: Fortnox never published these; codes from 2999000 up are ours ---
    "required_field": FortnoxCode(2999001, "Fältet {field} måste anges.", 400, "invented"),
    "article_number_taken": FortnoxCode(2999002, "Artikelnummer {value} används redan.", 400, "invented"),
    "invoice_customer_missing": FortnoxCode(2999003, "Kunden {value} finns inte.", 400, "invented"),
    "document_booked": FortnoxCode(2999004, "Dokumentet är bokfört och kan inte ändras.", 400, "invented"),
    "document_cancelled": FortnoxCode(2999005, "Dokumentet är makulerat.", 400, "invented"),
    "rate_limited": FortnoxCode(2999429, "För många anrop. Försök igen om en stund.", 429, "invented"),
}


class ApiError(Exception):
    """An error answer from the mock: a table entry plus the values its message names."""

    def __init__(self, name: str, *, status: int | None = None, **values: object) -> None:
        super().__init__(name)
        self.entry = ERRORS[name]
        self.values = values
        # A record missing from the path is a 404; the same record missing as a reference
        # inside a body is a 400 with the same code and message.
        self.status = status or self.entry.status

    def body(self) -> dict:
        return error_body(self.entry, self.entry.message.format_map(_Missing(self.values)))


def error_body(entry: FortnoxCode, message: str) -> dict:
    if entry.casing == "upper":
        return {"ErrorInformation": {"Error": 1, "Message": message, "Code": entry.code}}
    return {"ErrorInformation": {"error": 1, "message": message, "code": entry.code}}


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return ""

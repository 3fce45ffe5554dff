"""Who is who on an e-invoice: is this company the buyer or the seller, and which Fortnox
supplier sent it. Organisation numbers are compared exactly after normalising
(`556677-8899` is `5566778899`; a Swedish VAT number `SE556677889901` names the same company).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Literal

from bridge.formats.einvoice.identifiers import normalise_org_number, org_number_from_vat
from bridge.model import MasterData, Party, SupplierInvoice
from bridge.planner.steps import Lookup, Step

__all__ = ["company_role", "ensure_supplier", "identities", "party_text", "swedish_format"]

Role = Literal["buyer", "seller", "neither", "unnamed", "unknown"]
_SEPARATORS = re.compile(r"[\s\-.]")


def _clean(text: str) -> str:
    return _SEPARATORS.sub("", text).upper()


def identities(*values: str | None) -> set[str]:
    """Every form under which these identifiers name a company: the organisation number in
    its 10-digit form, the one inside a Swedish VAT number, and the rest as written
    (without separators). An endpoint `0007:5566778899` gives its value."""
    found = set()
    for value in values:
        if not value:
            continue
        if ":" in value:
            value = value.split(":", 1)[1]
        found.add(_clean(value))
        for derived in (normalise_org_number(value), org_number_from_vat(value)):
            if derived:
                found.add(derived)
    return found


def company_role(invoice: SupplierInvoice, master: MasterData | None) -> Role:
    """`buyer` (a supplier invoice), `seller` (our own customer invoice), `neither` (another
    company's invoice), `unnamed` (the invoice names no buyer), `unknown` (no company data)."""
    ours = identities(master.organisation_number) if master and master.organisation_number else set()
    if not ours:
        return "unknown"
    buyer = invoice.buyer or Party(name="")
    buyer_ids = identities(invoice.buyer_organisation_number, buyer.vat_number, buyer.endpoint_id)
    if ours & buyer_ids:
        return "buyer"
    seller = invoice.supplier
    if ours & identities(seller.organisation_number, seller.vat_number, seller.endpoint_id):
        return "seller"
    return "neither" if buyer_ids else "unnamed"


def party_text(party: Party | None, org_number: str | None = None) -> str:
    if party is None:
        return "nobody"
    number = org_number or party.organisation_number or party.vat_number
    return f"{party.name or '(no name)'}" + (f" (organisation number {number})" if number else "")


def swedish_format(org_number: str | None) -> str | None:
    """`5566778899` → `556677-8899`, as Fortnox shows organisation numbers; others unchanged."""
    normal = normalise_org_number(org_number) if org_number else None
    return f"{normal[:6]}-{normal[6:]}" if normal else org_number


def ensure_supplier(supplier: Party, *, create: bool, policy: str) -> Step:
    """Find the supplier by organisation number, then VAT number (then exact name, when the
    invoice gives neither); create it with its payment details when allowed."""
    lookups: list[Lookup] = []
    org = supplier.organisation_number
    if org:
        # Search by the last digits, which every way of writing the number contains.
        lookups.append(
            Lookup(
                path="/3/suppliers",
                collection="Suppliers",
                params={"organisationnumber": _clean(org)[-4:]},
                match={"OrganisationNumber": org},
                normalise=True,
            )
        )
    if supplier.vat_number:  # Fortnox cannot search by VAT number: read the register
        lookups.append(
            Lookup(
                path="/3/suppliers",
                collection="Suppliers",
                match={"VATNumber": supplier.vat_number},
                normalise=True,
            )
        )
    if not lookups:
        lookups.append(
            Lookup(
                path="/3/suppliers",
                collection="Suppliers",
                params={"name": supplier.name},
                match={"Name": supplier.name},
            )
        )
    lookup = lookups[-1]
    for earlier in reversed(lookups[:-1]):
        lookup = replace(earlier, then=lookup)
    body = {
        k: v
        for k, v in {
            "Name": supplier.name[:1024],
            "OrganisationNumber": swedish_format(org),
            "VATNumber": supplier.vat_number,
            "Email": supplier.email,
            "Phone1": supplier.phone,
            "Address1": supplier.address,
            "ZipCode": supplier.zip_code,
            "City": supplier.city,
            "CountryCode": supplier.country_code,
            "BG": supplier.bankgiro,
            "PG": supplier.plusgiro,
            "IBAN": supplier.iban,
            "BIC": supplier.bic,
        }.items()
        if v
    }
    who = party_text(supplier)
    return Step(
        kind="ensure",
        label=f"supplier {who}",
        method="POST",
        path="/3/suppliers",
        envelope="Supplier",
        body={"Supplier": body},
        lookup=lookup,
        save_as="supplier",
        create_if_missing=create,
        missing_hint=(
            f"supplier {who} does not exist in Fortnox and the bridge is set not to create suppliers "
            f"(supplierinvoices.create_suppliers = {policy}): create the supplier in Fortnox with this "
            "organisation number, then retry the file"
        ),
    )

"""Helpers for the undo tests: send a file, read Fortnox back, act as a person in Fortnox."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from bridge.fortnox import FortnoxClient
from bridge.pipeline.service import Bridge

REPO = Path(__file__).resolve().parents[3]
CASES = REPO / "fixtures" / "undo"
SAMPLES = REPO / "fixtures" / "samples"
SIE_HEAD = (
    '#FLAGGA 0\n#PROGRAM "Kassan" 1.0\n#SIETYP 4\n#FNAMN "Demobolaget i Sverige AB"\n'
    "#RAR 0 20260101 20261231\n"
)
ACCOUNTS = (6110, 2641, 5010, 7210, 1930)


def sie_file(count: int) -> str:
    """`count` vouchers in series A, some of three rows, some with a quantity."""
    vouchers = []
    for n in range(1, count + 1):
        day = f"202601{1 + n % 28:02d}"
        net, vat = 100 + n, Decimal(100 + n) / 4
        if n % 3:
            rows = (
                f"#TRANS 6110 {{}} {net}.00\n#TRANS 2641 {{}} {vat:.2f}\n#TRANS 1930 {{}} -{net + vat:.2f}\n"
            )
        else:
            rows = f'#TRANS 7210 {{}} {net}.00 "" "Timmar" 1.5\n#TRANS 1930 {{}} -{net}.00\n'
        vouchers.append(f'#VER A {n} {day} "Verifikation {n}"\n{{\n{rows}}}\n')
    return SIE_HEAD + "".join(vouchers)


def send(bridge: Bridge, name: str, content: str | bytes | None = None) -> int:
    """Drop `name` (a fixture of fixtures/undo, or `content`), read it and send what it holds."""
    drop = bridge.settings.workdir / "drop"
    drop.mkdir(exist_ok=True)
    path = drop / name
    data = content if content is not None else (CASES / name).read_bytes()
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    (file,) = bridge.process([path], "default", until_blocked=False)
    return file.id


def drop_in_inbox(bridge: Bridge, name: str, data: bytes, companion: bytes | None = None) -> int:
    path = bridge.settings.inbox_of("default") / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    pdf = None
    if companion is not None:
        pdf = path.with_suffix(".pdf")
        pdf.write_bytes(companion)
    file = bridge.take(path, "default", companion=pdf)
    assert file is not None
    bridge.drain("default", until_blocked=False)
    return file.id


def balances(api: FortnoxClient) -> dict[int, Decimal]:
    return {
        number: Decimal(
            str(api.get(f"/3/accounts/{number}", financialyear=2)["Account"]["BalanceCarriedForward"])
        )
        for number in ACCOUNTS
    }


def vouchers(api: FortnoxClient, prefix: str = "fnb:undo") -> list[dict[str, Any]]:
    """Every voucher of 2026 whose stamp starts with `prefix`, as full records."""
    return [
        api.get(f"/3/vouchers/{row['VoucherSeries']}/{row['VoucherNumber']}", financialyear=2)["Voucher"]
        for row in api.iter_pages("/3/vouchers", "Vouchers", financialyear=2)
        if row["Comments"].startswith(prefix)
    ]


def invoices_by_stamp(api: FortnoxClient) -> dict[str, dict[str, Any]]:
    return {
        row["ExternalInvoiceReference1"]: api.get(f"/3/invoices/{row['DocumentNumber']}")["Invoice"]
        for row in api.iter_pages("/3/invoices", "Invoices")
    }


def connections(api: FortnoxClient, given_number: str) -> list[dict[str, Any]]:
    answer = api.get("/3/supplierinvoicefileconnections", supplierinvoicenumber=given_number)
    return list(answer["SupplierInvoiceFileConnections"])


def pay(api: FortnoxClient, invoice: dict[str, Any], amount: Decimal | None = None) -> None:
    """The customer pays (in the office, in Fortnox): a booked payment."""
    payment = api.post(
        "/3/invoicepayments",
        {
            "InvoicePayment": {
                "InvoiceNumber": invoice["DocumentNumber"],
                "Amount": amount if amount is not None else invoice["Total"],
                "PaymentDate": invoice["InvoiceDate"],
            }
        },
    )["InvoicePayment"]
    api.put(f"/3/invoicepayments/{payment['Number']}/bookkeep")


def receipt(bridge: Bridge, name: str, kind: str = "txt") -> str:
    return (bridge.settings.outbox / "receipts" / f"{name}.receipt.{kind}").read_text(encoding="utf-8")

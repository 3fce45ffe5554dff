"""A financial year full of documents, built through the API the way a company fills Fortnox:
receipts on vouchers, images on supplier invoices, customer invoices. Used by the unit tests,
the kill test and the benchmark of `export documents`."""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge.fortnox import FortnoxClient

KINDS_OF_FILE = (
    ("kvitto-{n}.pdf", b"%PDF-1.4\n% receipt {n}\n%%EOF\n"),
    ("Foto {n} från mobilen.jpg", b"\xff\xd8\xff\xe0 photograph {n}"),
    ("skärmbild-{n}.png", b"\x89PNG\r\n\x1a\n screenshot {n}"),
    ("e-faktura-{n}.xml", b"<Invoice><ID>{n}</ID></Invoice>"),
)


@dataclass
class YearOfDocuments:
    """What was uploaded, by the path the export should give it (under the year's folder)."""

    files: dict[str, bytes] = field(default_factory=dict)
    file_ids: dict[str, str] = field(default_factory=dict)  # path -> Fortnox file id
    invoices: list[str] = field(default_factory=list)  # customer invoice numbers


def file_for(n: int) -> tuple[str, bytes]:
    name, content = KINDS_OF_FILE[n % len(KINDS_OF_FILE)]
    return name.format(n=n), content.replace(b"{n}", str(n).encode()) + bytes(n % 251 for _ in range(n % 7))


def upload(client: FortnoxClient, folder: str, name: str, content: bytes) -> dict:
    return client.request("POST", f"/3/inbox?folderId={folder}", files={"file": (name, content)})["File"]


def fill_year(
    client: FortnoxClient,
    *,
    vouchers: int,
    supplier_invoices: int,
    invoices: int,
    day: str = "2026-03-02",
    year_id: int = 2,
) -> YearOfDocuments:
    year = YearOfDocuments()
    n = 0
    for _ in range(vouchers):
        n += 1
        rows = [{"Account": 6110, "Debit": 100 + n}, {"Account": 1930, "Credit": 100 + n}]
        body = {
            "Description": f"Kvitto {n}",
            "TransactionDate": day,
            "VoucherSeries": "A",
            "VoucherRows": rows,
        }
        voucher = client.post("/3/vouchers", {"Voucher": body})["Voucher"]
        name, content = file_for(n)
        file = upload(client, "inbox_v", name, content)
        connection = {
            "FileId": file["Id"],
            "VoucherSeries": "A",
            "VoucherNumber": str(voucher["VoucherNumber"]),
        }
        client.post(
            f"/3/voucherfileconnections?financialyear={year_id}", {"VoucherFileConnection": connection}
        )
        path = f"vouchers/A-{voucher['VoucherNumber']}/{name}"
        year.files[path], year.file_ids[path] = content, file["Id"]
    for _ in range(supplier_invoices):
        n += 1
        invoice = client.post(
            "/3/supplierinvoices",
            {
                "SupplierInvoice": {
                    "SupplierNumber": "1",
                    "InvoiceNumber": f"F-{n}",
                    "Total": 100 + n,
                    "InvoiceDate": day,
                }
            },
        )["SupplierInvoice"]
        name, content = file_for(n)
        file = upload(client, "inbox_s", name, content)
        connection = {"FileId": file["Id"], "SupplierInvoiceNumber": invoice["GivenNumber"]}
        client.post("/3/supplierinvoicefileconnections", {"SupplierInvoiceFileConnection": connection})
        path = f"supplierinvoices/{invoice['GivenNumber']}/{name}"
        year.files[path], year.file_ids[path] = content, file["Id"]
    for _ in range(invoices):
        n += 1
        rows = [{"ArticleNumber": "KONS", "DeliveredQuantity": str(1 + n % 5)}]
        invoice = client.post(
            "/3/invoices", {"Invoice": {"CustomerNumber": "1001", "InvoiceDate": day, "InvoiceRows": rows}}
        )
        year.invoices.append(str(invoice["Invoice"]["DocumentNumber"]))
    return year


def rendered_invoices(client: FortnoxClient, year: YearOfDocuments) -> dict[str, bytes]:
    """The customer invoices' PDFs as Fortnox renders them now, by their export path."""
    found = {}
    for number in year.invoices:
        content = bytearray()
        client.download(f"/3/invoices/{number}/preview", content.extend)
        found[f"invoices/{number}/faktura-{number}.pdf"] = bytes(content)
    return found

"""What exports read from the mock: a financial year chosen in the query (never the body) on
file connections, downloads that are the uploaded bytes with their type, currency rates with
their date, and predefined accounts."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

JPEG = b"\xff\xd8\xff\xe0 a photographed receipt"
JSON_LOOKING = b'{"this": "is a file, not an answer"}'


def upload(fortnox, content: bytes, name: str, folder: str = "inbox_v") -> dict:
    answer = fortnox.call(
        "POST",
        f"/3/inbox?folderId={folder}",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )
    assert answer.status == 201, answer.body
    return answer.body["File"]


def voucher(fortnox, day: str) -> dict:
    body = {"Description": f"Kvitto {day}", "TransactionDate": day, "VoucherSeries": "A",
            "VoucherRows": [{"Account": 6110, "Debit": 100}, {"Account": 1930, "Credit": 100}]}  # fmt: skip
    return fortnox.post("/3/vouchers", {"Voucher": body}).body["Voucher"]


@pytest.fixture
def two_vouchers_a1(fortnox) -> tuple[dict, dict]:
    """Voucher A 1 of 2025 (year 1) and voucher A 1 of 2026 (year 2, the preselected one)."""
    return voucher(fortnox, "2025-03-01"), voucher(fortnox, "2026-03-01")


def connect(fortnox, file_id: str, query: str = "", **extra) -> dict:
    body = {"VoucherFileConnection": {"FileId": file_id, "VoucherSeries": "A", "VoucherNumber": "1", **extra}}
    answer = fortnox.post(f"/3/voucherfileconnections{query}", body)
    assert answer.status == 201, answer.body
    return answer.body["VoucherFileConnection"]


def test_the_year_in_the_body_is_not_read_the_preselected_year_is_used(fortnox, two_vouchers_a1):
    file = upload(fortnox, JPEG, "kvitto.jpg")
    connection = connect(fortnox, file["Id"], VoucherYear=1)
    assert (connection["VoucherYear"], connection["VoucherDescription"]) == (2, "Kvitto 2026-03-01")


@pytest.mark.parametrize("query", ["?financialyear=1", "?financialyeardate=2025-01-01"])
def test_the_query_chooses_the_year(fortnox, two_vouchers_a1, query):
    connection = connect(fortnox, upload(fortnox, JPEG, "kvitto.jpg")["Id"], query)
    assert (connection["VoucherYear"], connection["VoucherDescription"]) == (1, "Kvitto 2025-03-01")


def test_the_list_narrows_to_one_year_by_voucheryear_or_financialyear(fortnox, two_vouchers_a1):
    old = connect(fortnox, upload(fortnox, JPEG, "a.jpg")["Id"], "?financialyear=1")
    new = connect(fortnox, upload(fortnox, JPEG, "b.jpg")["Id"])

    def listed(query: str) -> list[str]:
        return [
            c["FileId"]
            for c in fortnox.get(f"/3/voucherfileconnections{query}").body["VoucherFileConnections"]
        ]

    assert sorted(listed("")) == sorted([old["FileId"], new["FileId"]])
    assert listed("?voucheryear=1") == listed("?financialyear=1") == [old["FileId"]]
    assert listed("?financialyeardate=2026-06-30") == [new["FileId"]]


@pytest.mark.parametrize(
    ("content", "name", "media_type"),
    [
        (b"%PDF-1.4\n%%EOF\n", "faktura.pdf", "application/pdf"),
        (JPEG, "kvitto.jpg", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n", "skärmbild.png", "image/png"),
        (JSON_LOOKING, "data.json", "application/json"),
        (b"<Invoice/>", "faktura.xml", "application/xml"),
        (b"\x00\x01", "okänd", "application/octet-stream"),
    ],
)
def test_a_download_is_the_uploaded_bytes_with_their_type_and_name(fortnox, content, name, media_type):
    file = upload(fortnox, content, name)
    for path in (f"/3/inbox/{file['Id']}", f"/3/archive?fileid={file['ArchiveFileId']}"):
        response = fortnox.http.get(path, headers={"Authorization": f"Bearer {fortnox.token}"})
        assert response.get_data() == content
        assert response.mimetype == media_type
        assert "filename*=UTF-8''" + name.replace("ä", "%C3%A4") in response.headers["Content-Disposition"]


def test_currency_rates_carry_their_date(fortnox):
    fortnox.state.clock.freeze()
    today = fortnox.state.clock.today().isoformat()
    made = fortnox.post("/3/currencies", {"Currency": {"Code": "NOK", "Description": "Norska kronor",
                                                        "BuyRate": "0.95", "SellRate": "1.01"}})  # fmt: skip
    assert made.body["Currency"]["Date"] == today
    dated = fortnox.put("/3/currencies/NOK", {"Currency": {"BuyRate": "0.96", "Date": "2026-11-30"}})
    assert (dated.body["Currency"]["BuyRate"], dated.body["Currency"]["Date"]) == (
        Decimal("0.96"),
        "2026-11-30",
    )
    renamed = fortnox.put("/3/currencies/NOK", {"Currency": {"Description": "NOK"}})
    assert renamed.body["Currency"]["Date"] == "2026-11-30"  # the rate did not change
    fortnox.put("/3/currencies/NOK", {"Currency": {"Date": "30/11"}}).expect_error(
        400, 2999028, "Ogiltigt värde för Date: 30/11"
    )


def test_predefined_accounts_list_show_and_change(fortnox):
    listed = fortnox.get("/3/predefinedaccounts").body
    assert {"MetaInformation", "PreDefinedAccounts"} == set(listed)
    by_name = {r["Name"]: r["Account"] for r in listed["PreDefinedAccounts"]}
    assert (by_name["SUPDEBT"], by_name["CUSTCLAIM"], by_name["ROUNDOFF"]) == (2440, 1510, 3740)
    assert fortnox.get("/3/predefinedaccounts/BG").body["PreDefinedAccount"]["Account"] == 1930
    changed = fortnox.put("/3/predefinedaccounts/BG", {"PreDefinedAccount": {"Account": 1920}})
    assert changed.body["PreDefinedAccount"] == {
        "@url": changed.body["PreDefinedAccount"]["@url"],
        "Account": 1920,
        "Name": "BG",
    }
    assert fortnox.get("/3/predefinedaccounts/BG").body["PreDefinedAccount"]["Account"] == 1920
    fortnox.put("/3/predefinedaccounts/BG", {"PreDefinedAccount": {"Account": 9999}}).expect_error(
        400, 2001265, "Kontot 9999 är ogiltigt: det saknas, finns inte eller är inaktivt."
    )
    fortnox.get("/3/predefinedaccounts/NOSUCH").expect_error(
        404, 2999120, "Kan inte hitta det fördefinierade kontot."
    )

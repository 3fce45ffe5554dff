"""`export documents`: a year's files out of Fortnox, exactly once, byte for byte, with a
manifest; a second run fetches only what changed; a stopped run continues."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest

from bridge.exporters.documents import export_documents, wanted_files
from bridge.exporters.mirror import mirror_files, safe_file_name
from bridge.fortnox import FortnoxClient, StaticToken
from bridge.fortnox.masterdata import fetch_financial_years
from bridge.util import loads
from tests.exports_company import fill_year, rendered_invoices, upload


class Recording(httpx.BaseTransport):
    """The mock behind a transport that remembers each path, and can fail on cue."""

    def __init__(self, app) -> None:
        self.inner = httpx.WSGITransport(app=app)
        self.paths: list[str] = []
        self.fail: dict[str, BaseException | int] = {}  # path -> exception to raise, or status to answer

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.paths.append(path)
        failure = self.fail.get(path)
        if isinstance(failure, BaseException):
            raise failure
        if isinstance(failure, int):
            return httpx.Response(failure, json={"ErrorInformation": {"Message": "nej", "Code": 1}})
        return self.inner.handle_request(request)

    def downloads(self) -> list[str]:
        return [p for p in self.paths if p.startswith("/3/archive/") or p.endswith("/preview")]


@pytest.fixture
def recorded(mock_app, demo_token):
    transport = Recording(mock_app)
    client = FortnoxClient("http://mock", StaticToken(demo_token), transport=transport)
    yield client, transport
    client.close()


@pytest.fixture
def year(api):
    return fill_year(api, vouchers=6, supplier_invoices=4, invoices=2)


def exported(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith("manifest.")
    }


def test_every_file_of_the_year_byte_for_byte_with_a_manifest(api, year, tmp_path):
    [result] = export_documents(api, "demo", tmp_path, year=2026)
    root = result.folder
    assert root == tmp_path / "exports" / "documents" / "demo" / "2026"
    assert exported(root) == {**year.files, **rendered_invoices(api, year)}
    manifest = loads((root / "manifest.json").read_text())["files"]
    assert len(manifest) == 12 and {m["status"] for m in manifest} == {"new"}
    by_file = {m["file"]: m for m in manifest}
    for path, content in year.files.items():
        entry = by_file[path]
        assert (entry["fortnox_file_id"], entry["size"], entry["sha256"]) == (
            year.file_ids[path], len(content), hashlib.sha256(content).hexdigest(),
        )  # fmt: skip
    receipt = by_file[next(p for p in year.files if p.endswith(".jpg"))]
    assert (receipt["media_type"], receipt["reference"], receipt["kind"]) == ("image/jpeg", "A 1", "vouchers")
    csv_text = (root / "manifest.csv").read_text(encoding="utf-8")
    assert csv_text.startswith("\ufeffkind;document;reference;") and csv_text.count("\n") == 13
    assert result.to_json()["kinds"] == {"vouchers": 6, "supplierinvoices": 4, "invoices": 2}


def test_a_second_run_downloads_nothing(recorded, year, tmp_path):
    client, transport = recorded
    export_documents(client, "demo", tmp_path, year=2026)
    transport.paths.clear()
    [again] = export_documents(client, "demo", tmp_path, year=2026)
    assert transport.downloads() == []
    assert again.mirror.count("unchanged") == 12 and again.mirror.fetched == 0
    # Lists only: the years, the voucher connections, the supplier invoices, their connections, the invoices.
    assert len(transport.paths) == 5


def test_a_file_replaced_in_fortnox_comes_again_and_the_manifest_says_so(api, year, tmp_path):
    export_documents(api, "demo", tmp_path, year=2026)
    path = next(p for p in year.files if p.startswith("vouchers/A-3/"))
    old_id = year.file_ids[path]
    api.delete(f"/3/voucherfileconnections/{old_id}")
    name = path.rsplit("/", 1)[1]
    new = upload(api, "inbox_v", name, b"%PDF-1.4\n% the corrected receipt\n%%EOF\n")
    api.post(
        "/3/voucherfileconnections?financialyear=2",
        {"VoucherFileConnection": {"FileId": new["Id"], "VoucherSeries": "A", "VoucherNumber": "3"}},
    )
    [again] = export_documents(api, "demo", tmp_path, year=2026)
    assert (again.folder / path).read_bytes() == b"%PDF-1.4\n% the corrected receipt\n%%EOF\n"
    entry = next(e for e in again.mirror.entries if e.file == path)
    assert (entry.status, entry.fortnox_file_id, entry.replaces_file_id) == ("replaced", new["Id"], old_id)
    assert again.mirror.fetched == 1 and again.mirror.count("unchanged") == 11


def test_a_file_disconnected_in_fortnox_leaves_the_folder(api, year, tmp_path):
    export_documents(api, "demo", tmp_path, year=2026)
    path = next(p for p in year.files if p.startswith("supplierinvoices/"))
    api.delete(f"/3/supplierinvoicefileconnections/{year.file_ids[path]}")
    [again] = export_documents(api, "demo", tmp_path, year=2026)
    assert not (again.folder / path).exists() and not (again.folder / path).parent.exists()
    assert again.mirror.removed == [path] and len(again.mirror.entries) == 11


def test_a_changed_invoice_is_rendered_again_a_damaged_copy_is_repaired(recorded, year, tmp_path):
    client, transport = recorded
    [first] = export_documents(client, "demo", tmp_path, year=2026)
    number = year.invoices[0]
    client.put(f"/3/invoices/{number}", {"Invoice": {"DueDate": "2026-06-30"}})
    damaged = next(p for p in year.files if p.startswith("vouchers/A-1/"))
    (first.folder / damaged).write_bytes(b"overwritten by someone")
    transport.paths.clear()
    [again] = export_documents(client, "demo", tmp_path, year=2026)
    assert sorted(transport.downloads()) == sorted(
        [f"/3/archive/{year.file_ids[damaged]}", f"/3/invoices/{number}/preview"]
    )
    assert (again.folder / damaged).read_bytes() == year.files[damaged]
    statuses = {e.file: e.status for e in again.mirror.entries}
    assert statuses[f"invoices/{number}/faktura-{number}.pdf"] == "changed"
    assert statuses[damaged] == "unchanged"  # Fortnox's file did not change; our copy was put right


def test_a_run_stopped_midway_continues_where_it_stopped(recorded, year, tmp_path):
    client, transport = recorded
    victim = next(p for p in year.files if p.startswith("supplierinvoices/"))
    transport.fail[f"/3/archive/{year.file_ids[victim]}"] = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        export_documents(client, "demo", tmp_path, year=2026)
    folder = tmp_path / "exports" / "documents" / "demo" / "2026"
    assert (folder / ".progress.jsonl").exists() and not (folder / "manifest.json").exists()
    first_run = set(transport.downloads())
    with (folder / ".progress.jsonl").open("a") as journal:
        journal.write('{"kind": "vouch')  # killed while writing a line
    transport.fail.clear()
    transport.paths.clear()
    [result] = export_documents(client, "demo", tmp_path, year=2026)
    second_run = transport.downloads()
    assert len(second_run) == len(set(second_run))
    assert not (first_run - {f"/3/archive/{year.file_ids[victim]}"}) & set(second_run)
    assert len(first_run) - 1 + len(second_run) == 12  # every file fetched once, the stopped one again
    assert exported(result.folder) == {**year.files, **rendered_invoices(client, year)}
    assert {e.status for e in result.mirror.entries} == {"new"}
    assert not (folder / ".progress.jsonl").exists()
    assert not [p for p in folder.rglob(".*")]


def test_an_outage_is_waited_out_and_a_file_gone_from_fortnox_is_named(recorded, year, tmp_path):
    client, transport = recorded
    [y] = [y for y in fetch_financial_years(client) if y.id == 2]
    wanted = wanted_files(client, y)
    flaky, gone = wanted[0], wanted[1]
    outage = iter([httpx.ConnectError("refused"), httpx.ConnectError("refused")])

    class Flaky(Recording):
        def handle_request(self, request):
            if request.url.path == flaky.download_path:
                error = next(outage, None)
                if error is not None:
                    raise error
            return super().handle_request(request)

    transport.fail[gone.download_path] = 404
    flaky_transport = Flaky(transport.inner.app)
    flaky_transport.fail = transport.fail
    flaky_client = FortnoxClient("http://mock", client.tokens, transport=flaky_transport)
    waits: list[float] = []
    result = mirror_files(flaky_client, tmp_path / "m", wanted, pause=waits.append)
    assert waits == [2.0, 4.0]
    assert len(result.entries) == 11 and result.problems == [
        f"{gone.reference}: {gone.name} is no longer in Fortnox"
    ]


def test_two_files_of_one_name_on_one_voucher_both_arrive(api, tmp_path):
    body = {"Description": "Två kvitton", "TransactionDate": "2026-04-01", "VoucherSeries": "A",
            "VoucherRows": [{"Account": 6110, "Debit": 5}, {"Account": 1930, "Credit": 5}]}  # fmt: skip
    number = api.post("/3/vouchers", {"Voucher": body})["Voucher"]["VoucherNumber"]
    ids = []
    for content in (b"first", b"second"):
        file = upload(api, "inbox_v", "kvitto.pdf", content)
        ids.append(file["Id"])
        api.post(
            "/3/voucherfileconnections",
            {
                "VoucherFileConnection": {
                    "FileId": file["Id"],
                    "VoucherSeries": "A",
                    "VoucherNumber": str(number),
                }
            },
        )
    [result] = export_documents(api, "demo", tmp_path, year=2026, kinds=["vouchers"])
    assert exported(result.folder) == {
        f"vouchers/A-{number}/kvitto-{ids[0][:8]}.pdf": b"first",
        f"vouchers/A-{number}/kvitto-{ids[1][:8]}.pdf": b"second",
    }


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("Kvitto från Åre.pdf", "Kvitto från Åre.pdf"),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("a\\b:c*?.pdf", "a_b_c_.pdf"),
        ("CON.pdf", "_CON.pdf"),
        (".hidden", "hidden"),
        ("", "fil"),
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
        ("å" * 100 + ".jpeg", "å" * 57 + ".jpeg"),
    ],
)
def test_safe_file_names(name, safe):
    assert safe_file_name(name) == safe


def test_only_the_kinds_asked_for(api, year, tmp_path):
    [result] = export_documents(api, "demo", tmp_path, year=2026, kinds=["supplierinvoices"])
    assert {e.kind for e in result.mirror.entries} == {"supplierinvoices"} and len(result.mirror.entries) == 4


def test_an_earlier_year_is_its_own_folder(api, tmp_path):
    earlier = fill_year(api, vouchers=2, supplier_invoices=1, invoices=1, day="2025-05-05", year_id=1)
    fill_year(api, vouchers=1, supplier_invoices=0, invoices=0)
    results = export_documents(api, "demo", tmp_path, year=2026, years=2)
    assert [r.label for r in results] == ["2025", "2026"]
    assert exported(results[0].folder) == {**earlier.files, **rendered_invoices(api, earlier)}
    assert len(results[1].mirror.entries) == 1

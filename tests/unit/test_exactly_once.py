"""The executor creates every Fortnox document once, whatever happens to the answer."""

from pathlib import Path

import httpx

from bridge.pipeline.service import Bridge
from bridge.util import loads

INVOICE_CSV = (
    "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\nF-1;1001;Konsult;2;1000\nF-2;1002;Resa;1;500\n"
)


class DropAfterApplying(httpx.BaseTransport):
    """Fortnox acts on the request, but the answer never arrives (a read timeout)."""

    def __init__(self, inner: httpx.BaseTransport, drops: int) -> None:
        self.inner = inner
        self.drops = drops
        self.posts = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and request.url.path == "/3/invoices":
            self.posts += 1
            if self.drops:
                self.drops -= 1
                raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


def drop(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def send(bridge: Bridge, path: Path) -> int:
    (file,) = bridge.process([path], "default", until_blocked=False)
    return file.id


def invoices_in(api) -> list[dict]:
    return list(api.iter_pages("/3/invoices", "Invoices"))


def test_a_lost_answer_is_reconciled_not_resent(tmp_path, make_bridge, mock_app, api):
    transport = DropAfterApplying(httpx.WSGITransport(app=mock_app), drops=1)
    bridge = make_bridge(transport)
    file_id = send(bridge, drop(tmp_path, "fakturor.csv", INVOICE_CSV))
    assert bridge.file(file_id).state == "done"
    assert sorted(i["ExternalInvoiceReference1"] for i in invoices_in(api)) == ["fnb:F-1", "fnb:F-2"]
    assert transport.posts == 2  # F-1 once (answer lost, then found by its stamp), F-2 once
    steps = bridge.documents(file_id)[0].result
    assert steps[-1]["outcome"] == "reconciled"


def test_a_crash_between_call_and_commit_is_reconciled(tmp_path, make_bridge, api):
    bridge = make_bridge()
    file_id = bridge.take(drop(tmp_path, "fakturor.csv", INVOICE_CSV), "default", copy=True).id
    first = bridge.documents(file_id)[0]
    # The process sent F-1's invoice and died before recording the answer:
    api.post("/3/invoices", {"Invoice": {"CustomerNumber": "1001", "ExternalInvoiceReference1": "fnb:F-1"}})
    customer_step, invoice_step = bridge.ledger.steps(first.id)
    bridge.ledger.step_done(customer_step.id, {"outcome": "existing", "record": {"CustomerNumber": "1001"}})
    bridge.ledger.step_sending(invoice_step.id, first.id)
    bridge.close()

    restarted = make_bridge()
    restarted.recover()
    restarted.drain("default", until_blocked=False)
    assert restarted.file(file_id).state == "done"
    assert sorted(i["ExternalInvoiceReference1"] for i in invoices_in(api)) == ["fnb:F-1", "fnb:F-2"]


def test_fortnox_refusal_fails_the_document_with_the_code(tmp_path, make_bridge, api):
    bridge = make_bridge(environ={"FORTNOX_INVOICES_CREATE_ARTICLES": "false"})  # Fortnox judges alone
    csv = "Fakturanummer;Kundnummer;Artikelnummer;Antal;À-pris\nF-9;1001;NO-SUCH-ARTICLE;1;10\n"
    file_id = send(bridge, drop(tmp_path, "fel.csv", csv))
    assert bridge.file(file_id).state == "failed"
    (document,) = bridge.documents(file_id)
    assert "Kan inte hitta artikeln" in document.last_error and "2000428" in document.last_error
    report = (tmp_path / "outbox" / "failed" / "fel.csv.error.txt").read_text()
    assert "invoice F-9" in report and "fortnox-bridge retry" in report


def test_missing_customer_is_not_created_when_the_policy_says_never(tmp_path, make_bridge, api):
    bridge = make_bridge(environ={"FORTNOX_INVOICES_CREATE_CUSTOMERS": "never"})
    file_id = send(
        bridge,
        drop(tmp_path, "ny-kund.csv", "Fakturanummer;Kundnummer;Beskrivning;Antal;À-pris\nF-3;7777;x;1;1\n"),
    )
    (document,) = bridge.documents(file_id)
    assert document.state == "failed"
    assert "customer 7777 does not exist" in document.last_error
    assert invoices_in(api) == []


def test_same_invoice_in_another_file_is_not_sent_again(tmp_path, make_bridge, api):
    bridge = make_bridge()
    send(bridge, drop(tmp_path, "a.csv", INVOICE_CSV))
    changed = INVOICE_CSV.replace("F-2;1002;Resa;1;500", "F-2;1002;Resa;1;650")
    file_id = send(bridge, drop(tmp_path, "b.csv", changed))
    assert [d.state for d in bridge.documents(file_id)] == ["duplicate", "duplicate"]
    assert len(invoices_in(api)) == 2
    receipt = loads((tmp_path / "outbox" / "receipts" / "b.csv.receipt.json").read_text())
    notes = [d["note"] for d in receipt["documents"]]
    assert "already transferred from a.csv" in notes[0] and "changed" not in notes[0]
    assert "rows[1].price: 500 → 650" in notes[1]


def test_same_bytes_under_another_name_is_a_duplicate_file(tmp_path, make_bridge, api):
    bridge = make_bridge()
    send(bridge, drop(tmp_path, "a.csv", INVOICE_CSV))
    file_id = send(bridge, drop(tmp_path, "kopia.csv", INVOICE_CSV))
    assert bridge.file(file_id).state == "duplicate"
    assert (tmp_path / "outbox" / "duplicates" / "kopia.csv").exists()
    text = (tmp_path / "outbox" / "receipts" / "kopia.csv.receipt.txt").read_text()
    assert "exactly the same content as a.csv" in text


def test_retry_sends_only_what_failed(tmp_path, make_bridge, api):
    bridge = make_bridge(environ={"FORTNOX_INVOICES_CREATE_ARTICLES": "false"})  # NEWART fails
    csv = (
        "Fakturanummer;Kundnummer;Artikelnummer;Beskrivning;Antal;À-pris\n"
        "F-1;1001;;Konsult;2;1000\nF-2;1002;;Resa;1;500\nF-4;1001;NEWART;Ny;1;10\n"
    )
    file_id = send(bridge, drop(tmp_path, "delvis.csv", csv))
    assert bridge.file(file_id).state == "partial"
    assert (tmp_path / "outbox" / "failed" / "delvis.csv").exists()
    api.post("/3/articles", {"Article": {"ArticleNumber": "NEWART", "Description": "Ny artikel"}})

    bridge.retry([file_id], until_blocked=False)
    assert bridge.file(file_id).state == "done"
    assert sorted(i["ExternalInvoiceReference1"] for i in invoices_in(api)) == [
        "fnb:F-1",
        "fnb:F-2",
        "fnb:F-4",
    ]
    assert (tmp_path / "outbox" / "archive" / "delvis.csv").exists()
    assert not (tmp_path / "outbox" / "failed" / "delvis.csv").exists()
    assert not (tmp_path / "outbox" / "failed" / "delvis.csv.error.txt").exists()


def test_a_document_refused_before_sending_is_planned_again_on_retry(tmp_path, make_bridge, api, monkeypatch):
    from dataclasses import replace

    from bridge import planner
    from bridge.model import Invoice, Problem

    allowed = {"F-2": False}
    original = planner.PLANNERS[Invoice]

    def strict(invoice, tenant, master):
        plan = original(invoice, tenant, master)
        if invoice.source_key in allowed and not allowed[invoice.source_key]:
            problem = Problem(
                "series X does not allow manual vouchers", line=3, field="Serie", hint="allow it"
            )
            return replace(plan, problems=(problem,))
        return plan

    monkeypatch.setitem(planner.PLANNERS, Invoice, strict)
    bridge = make_bridge()
    file_id = send(bridge, drop(tmp_path, "plan.csv", INVOICE_CSV))
    assert bridge.file(file_id).state == "partial"
    report = (tmp_path / "outbox" / "failed" / "plan.csv.error.txt").read_text()
    assert "line 3, column/field 'Serie': series X does not allow manual vouchers" in report
    assert [i["ExternalInvoiceReference1"] for i in invoices_in(api)] == ["fnb:F-1"]

    allowed["F-2"] = True  # the person fixes the setting in Fortnox
    bridge.retry([file_id], until_blocked=False)
    assert bridge.file(file_id).state == "done"
    assert sorted(i["ExternalInvoiceReference1"] for i in invoices_in(api)) == ["fnb:F-1", "fnb:F-2"]

"""Projects and articles (SmartDok, Extend): registers, and what an invoice row needs created."""

from __future__ import annotations

from decimal import Decimal

from csv_helpers import documents, error_report, invoices_by_stamp, receipt_text, send, state


def project(api, number: str) -> dict | None:
    return next((p for p in api.iter_pages("/3/projects", "Projects") if p["ProjectNumber"] == number), None)


def articles(api) -> dict[str, dict]:
    return {a["ArticleNumber"]: a for a in api.iter_pages("/3/articles", "Articles")}


def test_the_project_register_creates_and_updates_by_number_and_needs_start_dates(make_bridge, api):
    bridge = make_bridge()
    file_id = send(bridge, "project_register.csv")
    assert state(bridge, file_id) == "partial"
    roof = project(api, "200")
    assert roof is not None
    assert (
        roof["Description"],
        roof["StartDate"],
        roof["EndDate"],
        roof["ProjectLeader"],
        roof["Status"],
    ) == (
        "Tak Storgatan 5",
        "2026-02-01",
        "2026-06-30",
        "Sven Snickare",
        "ONGOING",
    )
    assert project(api, "201") is None  # never sent
    assert project(api, "100")["Status"] == "COMPLETED"
    outcomes = {key.split("@")[0]: d["state"] for key, d in documents(bridge, file_id).items()}
    assert outcomes == {"200": "done", "201": "failed", "100": "done"}
    report = error_report(bridge, "project_register.csv")
    assert "project 201 has no start date: Fortnox needs a start date to create a project" in report
    assert "Status 'ONGOING' → 'COMPLETED'" in receipt_text(bridge, "project_register.csv")


def test_an_invoice_creates_a_project_fortnox_lacks_from_the_register_the_bridge_read(make_bridge, api):
    bridge = make_bridge()
    send(bridge, "project_register.csv")
    api.delete("/3/projects/200")  # gone from Fortnox since
    file_id = send(bridge, "invoice_naming_registered_project.csv")
    assert state(bridge, file_id) == "done"
    roof = project(api, "200")
    assert (roof["Description"], roof["StartDate"]) == ("Tak Storgatan 5", "2026-02-01")
    rows = invoices_by_stamp(api)["fnb:SD-501"]["InvoiceRows"]
    assert [r["Project"] for r in rows] == ["200"]


def test_a_project_fortnox_lacks_and_the_bridge_cannot_create_refuses_the_invoice(make_bridge, api):
    bridge = make_bridge()
    send(bridge, "project_register.csv")  # 201 has no start date
    file_id = send(bridge, "invoice_naming_unknown_projects.csv")
    assert state(bridge, file_id) == "failed"
    assert invoices_by_stamp(api) == {}
    report = error_report(bridge, "invoice_naming_unknown_projects.csv")
    assert (
        "project 999 does not exist in Fortnox, and no project register the bridge has read names it"
        in report
    )
    assert (
        "project 201 does not exist in Fortnox, and the project register names it without a start date"
        in report
    )
    assert project(api, "201") is None


def test_an_article_fortnox_lacks_is_created_once_from_the_row(make_bridge, api):
    bridge = make_bridge()
    file_id = send(bridge, "invoice_with_new_article.csv")
    assert state(bridge, file_id) == "done"
    screws = api.get("/3/articles/SKRUV-6")["Article"]
    assert (screws["Description"], screws["Unit"], screws["VAT"]) == ("Skruv 6 mm, 100 st", "st", 25)
    outcomes = {key: d["outcomes"] for key, d in documents(bridge, file_id).items()}
    assert outcomes == {
        "SD-301": ["existing", "created", "existing", "created"],  # customer, SKRUV-6, KONS, invoice
        "SD-302": ["existing", "existing", "created"],
    }
    invoices = invoices_by_stamp(api)
    assert [r["ArticleNumber"] for r in invoices["fnb:SD-301"]["InvoiceRows"]] == ["SKRUV-6", "KONS"]


def test_an_article_number_with_two_descriptions_goes_as_text_rows(make_bridge, api):
    bridge = make_bridge()
    before = set(articles(api))
    file_id = send(bridge, "article_number_with_two_descriptions.csv")
    assert state(bridge, file_id) == "done"
    assert set(articles(api)) == before
    rows = invoices_by_stamp(api)["fnb:SD-401"]["InvoiceRows"]
    assert [(r["ArticleNumber"], r["Description"]) for r in rows] == [
        ("", "Grus 0-8, ton"),
        ("", "Hjullastare, timme"),
    ]
    text = receipt_text(bridge, "article_number_with_two_descriptions.csv")
    assert (
        "article number 1 is given two descriptions, 'Grus 0-8, ton' (line 2) and 'Hjullastare, timme' (line 3)"
        in text
    )


def test_the_article_register_creates_and_updates_by_number(make_bridge, api):
    bridge = make_bridge()
    file_id = send(bridge, "article_register.csv")
    assert state(bridge, file_id) == "done"
    known = articles(api)
    assert known["KONS"]["SalesPrice"] == 1350
    nails = api.get("/3/articles/SPIK-50")["Article"]
    assert (nails["Description"], nails["Unit"], nails["SalesPrice"], nails["Type"]) == (
        "Spik 50 mm, 1 kg",
        "st",
        89,
        "STOCK",
    )
    steps = {key.split("@")[0]: d["steps"][0] for key, d in documents(bridge, file_id).items()}
    assert steps["KONS"]["changes"] == [["SalesPrice", 1250, Decimal("1350.00")]]
    assert steps["SPIK-50"]["outcome"] == "created"

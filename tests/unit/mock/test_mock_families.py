"""The rules of the families served by the declarative machinery, one behaviour per test."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from mockfortnox.resources.family import fields

W = "/api/warehouse"


def test_a_field_string_gives_defaults_kinds_and_what_the_client_cannot_write():
    template, read_only, kinds = fields("Code Price:n Count:i Active:B Day:d Rows:[] !Id:i Kind=STD")
    assert template == {"Code": "", "Price": 0, "Count": 0, "Active": True, "Day": None, "Rows": [], "Id": 0,
                        "Kind": "STD"}  # fmt: skip
    assert read_only == {"Id"} and kinds["Price"] == "n" and kinds["Id"] == "i"


# --- sales documents ------------------------------------------------------------------------


def _offer(fortnox, **extra):
    body = {"CustomerNumber": "1001", "OfferRows": [{"ArticleNumber": "KONS", "Quantity": "2"}], **extra}
    answer = fortnox.post("/3/offers", {"Offer": body})
    assert answer.status == 201, answer.body
    return answer.body["Offer"]


def test_an_offer_takes_the_customer_and_the_articles_prices(fortnox):
    offer = _offer(fortnox)
    assert offer["CustomerName"] and offer["OfferRows"][0]["Description"]
    row = offer["OfferRows"][0]
    assert Decimal(row["Total"]) == Decimal(row["Price"]) * 2 and row["Quantity"] == "2"
    assert Decimal(str(offer["Total"])) == (Decimal(row["Total"]) * Decimal("1.25")).quantize(Decimal(1))


def test_an_offer_for_a_customer_that_does_not_exist_is_refused(fortnox):
    answer = fortnox.post("/3/offers", {"Offer": {"CustomerNumber": "9999"}})
    assert answer.status == 400 and "9999" in answer.error()[1]


def test_an_offer_becomes_one_order_and_then_cannot_be_cancelled(fortnox):
    offer = _offer(fortnox)
    converted = fortnox.put(f"/3/offers/{offer['DocumentNumber']}/createorder").body["Offer"]
    order = fortnox.get(f"/3/orders/{converted['OrderReference']}").body["Order"]
    assert order["CustomerNumber"] == "1001" and order["OrderRows"][0]["OrderedQuantity"] == "2"
    assert fortnox.put(f"/3/offers/{offer['DocumentNumber']}/createorder").status == 400
    assert fortnox.put(f"/3/offers/{offer['DocumentNumber']}/cancel").status == 400


def test_an_order_becomes_an_invoice_that_points_back(fortnox):
    order = fortnox.post("/3/orders", {"Order": {"CustomerNumber": "1001", "OrderRows": [
        {"ArticleNumber": "KONS", "OrderedQuantity": "3", "DeliveredQuantity": "3"}]}}).body["Order"]  # fmt: skip
    done = fortnox.put(f"/3/orders/{order['DocumentNumber']}/createinvoice").body["Order"]
    invoice = fortnox.get(f"/3/invoices/{done['InvoiceReference']}").body["Invoice"]
    assert invoice["OrderReference"] == order["DocumentNumber"]
    assert invoice["InvoiceRows"][0]["DeliveredQuantity"] == "3"
    assert fortnox.put(f"/3/orders/{order['DocumentNumber']}", {"Order": {"Comments": "x"}}).status == 400


def test_a_cancelled_offer_cannot_be_changed(fortnox):
    offer = _offer(fortnox)
    fortnox.put(f"/3/offers/{offer['DocumentNumber']}/cancel")
    answer = fortnox.put(f"/3/offers/{offer['DocumentNumber']}", {"Offer": {"Remarks": "x"}})
    assert answer.status == 400


def test_a_contract_counts_down_its_invoices_and_finishes_after_the_last(fortnox):
    fortnox.post("/3/contracttemplates", {"ContractTemplate": {"TemplateName": "Kvartal", "InvoiceInterval": 3,
                 "ContractLength": 6, "InvoiceRows": [{"ArticleNumber": "KONS", "DeliveredQuantity": "1"}]}})  # fmt: skip
    contract = fortnox.post("/3/contracts", {"Contract": {"CustomerNumber": "1001", "TemplateNumber": 1,
                            "PeriodStart": "2026-01-01"}}).body["Contract"]  # fmt: skip
    number = contract["DocumentNumber"]
    assert contract["InvoicesRemaining"] == "2" and contract["PeriodEnd"] == "2026-04-01"
    first = fortnox.put(f"/3/contracts/{number}/createinvoice?invoicedate=2026-01-01").body["Contract"]
    assert first["InvoicesRemaining"] == "1" and first["PeriodStart"] == "2026-04-01"
    invoices = fortnox.get("/3/invoices").body["Invoices"]
    assert any(i["CustomerNumber"] == "1001" for i in invoices)
    last = fortnox.put(f"/3/contracts/{number}/increaseinvoicecount").body["Contract"]
    assert last["Status"] == "FINISHED" and last["Active"] is False
    assert fortnox.put(f"/3/contracts/{number}/createinvoice").status == 400


def test_a_contract_accrual_must_balance_and_belong_to_a_contract(fortnox):
    rows = [{"Account": 2990, "Debit": 100}, {"Account": 3001, "Credit": 90}]
    body = {
        "DocumentNumber": 1,
        "AccrualAccount": 2990,
        "CostAccount": 3001,
        "Description": "x",
        "Total": 100,
    }
    assert (
        fortnox.post("/3/contractaccruals", {"ContractAccrual": {**body, "AccrualRows": rows}}).status == 400
    )


# --- registers --------------------------------------------------------------------------------


def test_labels_are_unique_whatever_the_case(fortnox):
    assert fortnox.post("/3/labels", {"Label": {"Description": "Viktig"}}).status == 201
    assert fortnox.post("/3/labels", {"Label": {"Description": "VIKTIG"}}).status == 400


def test_every_article_has_a_base_price_in_every_price_list_and_quantity_prices_on_top(fortnox):
    fortnox.post("/3/pricelists", {"PriceList": {"Code": "B", "Description": "Butik"}})
    base = fortnox.get("/3/prices/B/KONS").body["Price"]
    assert base["FromQuantity"] == 0
    fortnox.post(
        "/3/prices", {"Price": {"PriceList": "B", "ArticleNumber": "KONS", "FromQuantity": 10, "Price": 900}}
    )
    ladder = fortnox.get("/3/prices/sublist/B/KONS").body["Prices"]
    assert [p["FromQuantity"] for p in ladder] == [10]
    assert fortnox.delete("/3/prices/B/KONS/0").status == 400  # the base price stays
    assert fortnox.delete("/3/prices/B/KONS/10").status == 204


def test_a_price_needs_an_existing_list_and_article(fortnox):
    answer = fortnox.post("/3/prices", {"Price": {"PriceList": "NOPE", "ArticleNumber": "KONS", "Price": 1}})
    assert answer.status == 400


def test_predefined_accounts_change_only_to_accounts_in_the_chart(fortnox):
    names = [a["Name"] for a in fortnox.get("/3/predefinedaccounts").body["PreDefinedAccounts"]]
    assert "ROUNDOFF" in names
    assert (
        fortnox.put("/3/predefinedaccounts/ROUNDOFF", {"PreDefinedAccount": {"Account": 9999}}).status == 400
    )
    moved = fortnox.put("/3/predefinedaccounts/ROUNDOFF", {"PreDefinedAccount": {"Account": 3960}})
    assert moved.body["PreDefinedAccount"]["Account"] == 3960


def test_a_tax_reduction_refers_to_a_document_that_exists(fortnox):
    body = {"AskedAmount": 5000, "CustomerName": "Anna", "ReferenceDocumentType": "INVOICE",
            "ReferenceNumber": "999", "SocialSecurityNumber": "197001011234"}  # fmt: skip
    assert fortnox.post("/3/taxreductions", {"TaxReduction": body}).status == 400


# --- invoices leaving the company ----------------------------------------------------------------


def _invoice(fortnox, customer="1001"):
    body = {"CustomerNumber": customer, "InvoiceRows": [{"ArticleNumber": "KONS", "DeliveredQuantity": "1"}]}
    return fortnox.post("/3/invoices", {"Invoice": body}).body["Invoice"]


def test_e_mailing_an_invoice_marks_it_sent(fortnox):
    invoice = _invoice(fortnox)
    assert fortnox.get(f"/3/invoices/{invoice['DocumentNumber']}/email").body["Invoice"]["Sent"] is True


def test_a_reminder_is_only_for_a_booked_unpaid_invoice(fortnox):
    invoice = _invoice(fortnox)
    number = invoice["DocumentNumber"]
    assert fortnox.get(f"/3/invoices/{number}/printreminder").status == 400
    fortnox.put(f"/3/invoices/{number}/bookkeep")
    reminder = fortnox.get(f"/3/invoices/{number}/printreminder")
    assert reminder.status == 200 and reminder.body[:5] == b"%PDF-"
    assert fortnox.get(f"/3/invoices/{number}").body["Invoice"]["Reminders"] == 1


# --- assets -----------------------------------------------------------------------------------


def test_depreciation_is_booked_as_a_voucher_month_by_month(fortnox):
    fortnox.post("/3/assets/types", {"AssetType": {"Number": "1", "Description": "Inventarier",
                 "AccountAssetId": 1220, "AccountDepreciationId": 7831, "AccountValueLossId": 1229}})  # fmt: skip
    fortnox.post("/3/assets", {"Asset": {"Number": "D1", "Description": "Dator", "TypeId": 1, "AcquisitionValue": 36000,
                 "AcquisitionDate": "2026-01-01", "DepreciationFinal": "2029-01-01"}})  # fmt: skip
    made = fortnox.post("/3/assets/depreciate", {"Asset": {"AssetIds": [1], "DepreciateUntil": "2026-07-01"}})
    voucher = made.body["AssetsDepreciation"][0]
    booked = fortnox.get(f"/3/vouchers/{voucher['VoucherSeries']}/{voucher['VoucherNumber']}?financialyear=2")
    rows = booked.body["Voucher"]["VoucherRows"]
    assert {r["Account"]: Decimal(str(r["Debit"])) for r in rows}[7831] == 6000  # 6 of 36 months
    asset = fortnox.get("/3/assets/1").body["Assets"]
    assert asset["BookValue"] == 30000 and len(asset["History"]) == 2
    assert fortnox.delete("/3/assets/1").status == 400  # booked events stay


def test_a_sold_asset_takes_no_more_events(fortnox):
    fortnox.post("/3/assets/types", {"AssetType": {"Number": "1", "Description": "Inventarier"}})
    fortnox.post(
        "/3/assets", {"Asset": {"Number": "D2", "Description": "Bil", "TypeId": 1, "AcquisitionValue": 1000}}
    )
    assert fortnox.put("/3/assets/sell/1", {"Asset": {"Price": 500}}).body["Assets"]["Status"] == "Såld"
    assert fortnox.put("/3/assets/writedown/1", {"Asset": {"Amount": 10}}).status == 400


# --- salary -------------------------------------------------------------------------------------


def test_salary_rows_belong_to_an_existing_employee(fortnox):
    body = {"EmployeeId": "1", "CauseCode": "SJK", "Date": "2026-01-05"}
    assert fortnox.post("/3/absencetransactions", {"AbsenceTransaction": body}).status == 400
    fortnox.post(
        "/3/employees",
        {"Employee": {"EmployeeId": "1", "FirstName": "A", "LastName": "B", "Email": "a@b.se"}},
    )
    made = fortnox.post("/3/absencetransactions", {"AbsenceTransaction": body})
    assert made.status == 200 and len(made.body["AbsenceTransaction"]["id"]) == 36
    assert (
        fortnox.post("/3/absencetransactions", {"AbsenceTransaction": {**body, "CauseCode": "XXX"}}).status
        == 400
    )


# --- warehouse: purchase orders and incoming goods ------------------------------------------------


@pytest.fixture
def order(fortnox):
    answer = fortnox.post(f"{W}/purchaseorders-v1", {"supplierNumber": "1", "internalReference": "EXT-77",
                          "rows": [{"itemId": "KONS", "orderedQuantity": 10, "price": 50}]})  # fmt: skip
    assert answer.status == 201, answer.body
    return answer.body


def _deliver(fortnox, order, quantity):
    row = order["rows"][0]
    goods = fortnox.post(f"{W}/incominggoods-v1", {"deliveryNoteId": f"FS-{quantity}", "rows": [
        {"itemId": "KONS", "receivedQuantity": quantity, "purchaseOrderId": order["id"], "purchaseOrderRowId": row["id"]}]})  # fmt: skip
    assert goods.status == 201, goods.body
    assert fortnox.put(f"{W}/incominggoods-v1/{goods.body['id']}/release").status == 204
    return goods.body


def test_a_purchase_order_takes_its_supplier_and_prices_and_starts_unsent(fortnox, order):
    assert order["supplierName"] and order["purchaseOrderState"] == "NOT_SENT"
    assert order["orderValue"] == 500 and order["rows"][0]["remainingOrderedQuantity"] == 10
    assert fortnox.post(f"{W}/purchaseorders-v1", {"supplierNumber": "404", "rows": []}).status == 400
    bad_item = fortnox.post(
        f"{W}/purchaseorders-v1", {"supplierNumber": "1", "rows": [{"itemId": "NOPE", "orderedQuantity": 1}]}
    )
    assert bad_item.status == 400 and bad_item.body["error"] == "invalid_field_value"


def test_sending_a_purchase_order_needs_the_mail_fields(fortnox, order):
    url = f"{W}/purchaseorders-v1/{order['id']}/send"
    assert fortnox.post(url, {"subject": "Beställning"}).status == 400
    assert (
        fortnox.post(url, {"subject": "s", "body": "b", "receiver": "r@x.se", "replyTo": "a@x.se"}).status
        == 204
    )
    assert fortnox.get(f"{W}/purchaseorders-v1/{order['id']}").body["purchaseOrderState"] == "SENT"


def test_two_partial_deliveries_receive_the_order(fortnox, order):
    _deliver(fortnox, order, 4)
    part = fortnox.get(f"{W}/purchaseorders-v1/{order['id']}").body
    assert part["rows"][0]["receivedQuantity"] == 4 and part["purchaseOrderState"] == "NOT_SENT"
    assert fortnox.put(f"{W}/purchaseorders-v1/{order['id']}/void").status == 400  # goods arrived on it
    _deliver(fortnox, order, 6)
    done = fortnox.get(f"{W}/purchaseorders-v1/{order['id']}").body
    assert done["purchaseOrderState"] == "RECEIVED" and done["totalReceivedQuantity"] == 10
    stock = fortnox.get(f"{W}/status-v1/stockbalance?itemIds=KONS").body
    assert sum(s["inStock"] for s in stock) == 10
    assert fortnox.get("/3/articles/KONS").body["Article"]["QuantityInStock"] == 10


def test_voiding_released_goods_takes_them_back_out_of_stock_and_off_the_order(fortnox, order):
    goods = _deliver(fortnox, order, 10)
    assert fortnox.put(f"{W}/incominggoods-v1/{goods['id']}/void").status == 204
    again = fortnox.get(f"{W}/purchaseorders-v1/{order['id']}").body
    assert again["purchaseOrderState"] == "NOT_SENT" and again["rows"][0]["remainingOrderedQuantity"] == 10
    assert fortnox.put(f"{W}/purchaseorders-v1/{order['id']}/void").status == 204


def test_matches_are_the_deliveries_and_the_supplier_invoices_naming_the_order(fortnox, order):
    goods = _deliver(fortnox, order, 10)
    fortnox.post("/3/supplierinvoices", {"SupplierInvoice": {"SupplierNumber": "1", "InvoiceNumber": "F-9",
                 "InvoiceDate": "2026-03-02", "Total": "625", "VAT": "125", "YourReference": "EXT-77"}})  # fmt: skip
    matches = fortnox.get(f"{W}/purchaseorders-v1/{order['id']}/matches").body
    assert {"id": str(goods["id"]), "type": "INCOMING_GOODS"} in matches
    assert [m["type"] for m in matches].count("SUPPLIER_INVOICE") == 1


def test_the_list_shows_current_orders_unless_asked_otherwise(fortnox, order):
    fortnox.put(f"{W}/purchaseorders-v1/{order['id']}/void")
    assert fortnox.get(f"{W}/purchaseorders-v1").body == []
    assert [o["id"] for o in fortnox.get(f"{W}/purchaseorders-v1?state=VOIDED").body] == [order["id"]]


def test_completing_an_order_by_hand_ends_its_backorder(fortnox, order):
    _deliver(fortnox, order, 4)
    assert fortnox.put(f"{W}/purchaseorders-v1/{order['id']}/complete").status == 204
    done = fortnox.get(f"{W}/purchaseorders-v1/{order['id']}").body
    assert done["purchaseOrderState"] == "RECEIVED" and done["rows"][0]["backOrderQuantity"] == 0


def test_incoming_goods_must_match_the_order_s_supplier_and_article(fortnox, order):
    row = {
        "itemId": "KONS",
        "receivedQuantity": 1,
        "purchaseOrderId": order["id"],
        "purchaseOrderRowId": order["rows"][0]["id"],
    }
    assert (
        fortnox.post(
            f"{W}/incominggoods-v1", {"deliveryNoteId": "X", "supplierNumber": "2", "rows": [row]}
        ).status
        == 400
    )
    assert fortnox.post(f"{W}/incominggoods-v1", {"rows": [row]}).body["error"] == "field_missing"


# --- warehouse: stock ------------------------------------------------------------------------------


def test_a_transfer_moves_stock_between_points_and_an_outbound_delivery_needs_stock(fortnox):
    fortnox.post(f"{W}/deliveries-v1/inbounddeliveries", {"rows": [{"itemId": "KONS", "quantity": 5}]})
    fortnox.put(f"{W}/deliveries-v1/inbounddeliveries/1/release")
    fortnox.post(f"{W}/stockpoints-v1", {"code": "B", "name": "Butik"})
    fortnox.post(f"{W}/stocktransfer-v1", {"rows": [{"itemId": "KONS", "requestedQuantity": 2,
                 "fromStockPointCode": "LAGER", "toStockPointCode": "B"}]})  # fmt: skip
    assert fortnox.put(f"{W}/stocktransfer-v1/1/release").status == 204
    balance = {s["stockPointCode"]: s["inStock"] for s in fortnox.get(f"{W}/status-v1/stockbalance").body}
    assert balance == {"LAGER": 3, "B": 2}
    fortnox.post(
        f"{W}/deliveries-v1/outbounddeliveries",
        {"stockPointCode": "B", "rows": [{"itemId": "KONS", "quantity": 3}]},
    )
    assert fortnox.put(f"{W}/deliveries-v1/outbounddeliveries/1/release").status == 400


def test_a_released_stock_taking_sets_the_counted_quantities(fortnox):
    fortnox.post(f"{W}/deliveries-v1/inbounddeliveries", {"rows": [{"itemId": "KONS", "quantity": 5}]})
    fortnox.put(f"{W}/deliveries-v1/inbounddeliveries/1/release")
    fortnox.post(f"{W}/stocktaking-v1", {"name": "Årsinventering", "responsible": "Anna"})
    assert fortnox.post(f"{W}/stocktaking-v1/1/addrows").body == b"1"  # how many rows were added
    row = fortnox.get(f"{W}/stocktaking-v1/1/rows").body[0]
    assert (
        fortnox.post(f"{W}/stocktaking-v1/1/rows", [{"id": row["id"], "stockTakenQuantity": 4}]).status == 204
    )
    assert fortnox.put(f"{W}/stocktaking-v1/1/release").status == 204
    assert fortnox.get(f"{W}/status-v1/stockbalance").body[0]["inStock"] == 4
    assert fortnox.put(f"{W}/stocktaking-v1/1/void").status == 400


def test_the_services_answer_their_own_error_shape(fortnox):
    missing = fortnox.get(f"{W}/purchaseorders-v1/999")
    assert missing.status == 404 and set(missing.body) == {"error", "message", "id"}


def test_the_newer_modules_need_their_scope(fortnox):
    token = fortnox.new_token(scopes=["invoice"])
    assert fortnox.get(f"{W}/purchaseorders-v1", token=token).status == 403
    assert fortnox.get("/3/offers", token=token).status == 403


def test_time_registrations_come_from_a_seed_and_are_filtered_by_date(fortnox):
    rows = [{"id": "r1", "workedDate": "2026-01-05", "registrationCode": {"code": "TID"}, "workedHours": 8},
            {"id": "r2", "workedDate": "2026-02-05", "registrationCode": {"code": "TID"}, "workedHours": 4}]  # fmt: skip
    made = fortnox.control("POST", "/mock/seed", {"tenants": [{"name": "tid", "licences": ["timereporting"],
                                                                "time/registrations": rows}]})  # fmt: skip
    assert made.status == 201, made.body
    token = fortnox.new_token(tenant="tid")
    found = fortnox.get("/api/time/registrations-v2?fromDate=2026-02-01", token=token).body
    assert [r["id"] for r in found] == ["r2"]


def test_fortnox_finans_takes_a_booked_unpaid_invoice_and_follows_it(fortnox):
    invoice = _invoice(fortnox)
    number = invoice["DocumentNumber"]
    body = {"NoxFinansInvoice": {"InvoiceNumber": number, "Service": "REMINDER"}}
    assert fortnox.post("/3/noxfinansinvoices", body).status == 400  # not booked yet
    fortnox.put(f"/3/invoices/{number}/bookkeep")
    sent = fortnox.post("/3/noxfinansinvoices", body).body["NoxFinansInvoice"]
    assert sent["Status"] == "ONGOING" and sent["OCRNumber"] == invoice["OCR"]
    paused = fortnox.put(
        f"/3/noxfinansinvoices/{number}/pause", {"NoxFinansInvoice": {"PausedUntilDate": "2026-09-01"}}
    )
    assert paused.body["NoxFinansInvoice"]["Status"] == "PAUSED"
    paid = fortnox.put(f"/3/noxfinansinvoices/{number}/report-payment",
                       {"NoxFinansInvoice": {"PaymentAmount": sent["CurrentCapitalBalance"]}})  # fmt: skip
    assert paid.body["NoxFinansInvoice"]["Status"] == "PAID"
    assert fortnox.put(f"/3/noxfinansinvoices/{number}/unpause").status == 400


def test_an_article_file_connection_moves_the_file_out_of_the_inbox(fortnox):
    upload = fortnox.post("/3/inbox?folderId=inbox_a", data={"file": (io.BytesIO(b"%PDF-1.4\n"), "bild.pdf")},
                          content_type="multipart/form-data").body["File"]  # fmt: skip
    made = fortnox.post(
        "/3/articlefileconnections",
        {"ArticleFileConnection": {"FileId": upload["Id"], "ArticleNumber": "KONS"}},
    )
    assert made.status == 201
    assert fortnox.get("/3/inbox/inbox_a").body["Folder"]["Files"] == []
    missing = fortnox.post(
        "/3/articlefileconnections",
        {"ArticleFileConnection": {"FileId": upload["Id"], "ArticleNumber": "NOPE"}},
    )
    assert missing.status == 400


def test_url_connections_take_web_addresses_only(fortnox):
    body = {"ArticleUrlConnection": {"ArticleNumber": "KONS", "URLConnection": "ftp://example.se"}}
    assert fortnox.post("/3/articleurlconnections", body).status == 400


def test_a_trusted_sender_is_an_e_mail_address_once(fortnox):
    assert (
        fortnox.post("/3/emailsenders/trusted", {"TrustedSender": {"Email": "inte-en-adress"}}).status == 400
    )
    assert fortnox.post("/3/emailsenders/trusted", {"TrustedSender": {"Email": "a@b.se"}}).status == 201
    assert fortnox.post("/3/emailsenders/trusted", {"TrustedSender": {"Email": "A@B.se"}}).status == 400
    assert fortnox.get("/3/emailsenders").body["EmailSenders"]["TrustedSenders"][0]["Email"] == "a@b.se"


def test_a_schedule_day_changes_and_resets(fortnox):
    fortnox.post(
        "/3/employees",
        {"Employee": {"EmployeeId": "3", "FirstName": "A", "LastName": "B", "Email": "a@b.se"}},
    )
    assert fortnox.get("/3/scheduletimes/3/2026-01-10").body["ScheduleTime"]["Hours"] == "0"  # a Saturday
    fortnox.put("/3/scheduletimes/3/2026-01-12", {"ScheduleTime": {"Hours": "4"}})
    assert fortnox.get("/3/scheduletimes/3/2026-01-12").body["ScheduleTime"]["Hours"] == "4"
    reset = fortnox.put("/3/scheduletimes/3/2026-01-12/resetday")
    assert reset.body["ScheduleTime"]["Hours"] == "8"


def test_a_production_order_turns_parts_into_a_product_on_release(fortnox):
    fortnox.post("/3/articles", {"Article": {"ArticleNumber": "DEL", "Description": "Del"}})
    fortnox.post(f"{W}/deliveries-v1/inbounddeliveries", {"rows": [{"itemId": "DEL", "quantity": 10}]})
    fortnox.put(f"{W}/deliveries-v1/inbounddeliveries/1/release")
    made = fortnox.post(f"{W}/productionorders-v1", {"itemId": "KONS", "quantity": 2, "productionState": "registered",
                        "startDate": "2026-01-01", "packageItems": [{"itemId": "DEL", "quantityRequired": 3}]})  # fmt: skip
    assert made.body["packageItems"][0]["totalQuantityRequired"] == 6
    released = fortnox.put(f"{W}/productionorders-v1/release/{made.body['id']}")
    assert released.body["documentState"] == "completed"
    stock = {s["itemId"]: s["inStock"] for s in fortnox.get(f"{W}/status-v1/stockbalance").body}
    assert stock == {"DEL": 4, "KONS": 2}


def test_a_custom_document_needs_its_type_and_moves_stock_when_ready(fortnox):
    url = f"{W}/documentdeliveries/custom/inbound-v1/RETUR/5"
    assert fortnox.put(url, {"rows": [{"itemId": "KONS", "quantity": 1}]}).status == 400  # no such type
    fortnox.post(
        f"{W}/documentdeliveries/custom/documenttypes-v1", {"category": "INBOUND", "referenceType": "RETUR"}
    )
    assert fortnox.put(url, {"rows": [{"itemId": "KONS", "quantity": 2}]}).body["id"] == "5"
    assert fortnox.put(f"{url}/release").status == 204
    assert fortnox.get(f"{W}/status-v1/stockbalance").body[0]["inStock"] == 2
    assert fortnox.put(url, {"note": "sent"}).status == 400  # a released document stays


def test_a_stock_point_with_stock_cannot_be_deleted(fortnox):
    point = fortnox.post(f"{W}/stockpoints-v1", {"code": "B", "name": "Butik"}).body
    fortnox.post(
        f"{W}/deliveries-v1/inbounddeliveries",
        {"stockPointCode": "B", "rows": [{"itemId": "KONS", "quantity": 1}]},
    )
    fortnox.put(f"{W}/deliveries-v1/inbounddeliveries/1/release")
    assert fortnox.delete(f"{W}/stockpoints-v1/{point['id']}").status == 400
    assert (
        fortnox.post(f"{W}/stockpoints-v1", {"code": "B", "name": "Igen"}).status == 400
    )  # codes are unique

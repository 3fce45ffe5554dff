"""`ledger rebuild`: a ledger that was lost or damaged, made again from what Fortnox holds.

The ledger is the bridge's only memory of what it sent; without it every file dropped again
would be sent again. Fortnox remembers too: the bridge stamps what it creates (`fnb:…` in an
invoice's ExternalInvoiceReference1 and a voucher's Comments), a supplier invoice carries its
invoice number, an upload the name the bridge gave it. The rebuild reads those fields, the
very ones the planners' look-ups match on, into the new ledger (`fortnox_records`). A step
whose look-up matches one of them is looked up before it is sent, exactly as after a lost
answer (`Executor`), so a file dropped again finds its documents instead of creating them twice.

The old ledger is never deleted: it is set aside beside the new one. `--from BACKUP` starts
from a backup copy (what it knew stays known) and adds what Fortnox shows since.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bridge.config import Settings
from bridge.fortnox import FortnoxClient
from bridge.fortnox.masterdata import fetch_financial_years
from bridge.pipeline.dialect import Unreachable
from bridge.pipeline.ledger import (
    BACKUPS,
    Ledger,
    LedgerTrouble,
    copy_ledger,
    keep_identity,
    keep_private,
    now_iso,
)
from bridge.planner.files import UPLOAD_FOLDERS
from bridge.planner.steps import STAMP_PREFIX
from bridge.planner.supplierinvoices import SUPPLIER_INBOX
from bridge.util.i18n import _

__all__ = [
    "LEDGER_NAME",
    "Found",
    "earlier_work",
    "finish_rebuild",
    "fortnox_records",
    "ledger_path",
    "rebuild_company",
    "start_rebuild",
]

log = logging.getLogger("bridge")

LEDGER_NAME = "ledger.sqlite3"


def ledger_path(settings: Settings) -> Path:
    return settings.state_dir / LEDGER_NAME


def earlier_work(settings: Settings) -> str | None:
    """A trace of earlier work beside a missing ledger, said for the message; None when the
    folders look as new as the ledger (a first start)."""
    answers = dict.fromkeys([settings.outbox, *(settings.outbox_of(t.name) for t in settings.tenants)])
    folders = [
        (outbox / kind, f"{outbox.relative_to(settings.outbox.parent).as_posix()}/{kind}/", what)
        for outbox in answers
        for kind, what in (
            ("receipts", _("%(folder)s holds receipts")),
            ("archive", _("%(folder)s holds sent files")),
            ("failed", _("%(folder)s holds failed files")),
            ("duplicates", _("%(folder)s holds files")),
        )
    ]
    folders += [
        (
            settings.state_dir / BACKUPS,
            str(settings.state_dir / BACKUPS),
            _("%(folder)s holds backups of the ledger"),
        ),
        (
            settings.state_dir / "attachments",
            str(settings.state_dir / "attachments"),
            _("%(folder)s holds attachments"),
        ),
    ]
    for folder, name, what in folders:
        if _holds_files(folder):
            return what % {"folder": name}
    work = settings.state_dir / "work"
    if work.is_dir() and any(_holds_files(company) for company in work.iterdir() if company.is_dir()):
        return _("%(folder)s holds files being sent") % {"folder": work}
    return None


def _holds_files(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return any(not entry.name.startswith(".") for entry in entries)
    except (FileNotFoundError, NotADirectoryError):
        return False


@dataclass(frozen=True)
class Found:
    """What a rebuild found of one company in Fortnox."""

    tenant: str
    invoices: int = 0
    vouchers: int = 0
    supplier_invoices: int = 0
    uploads: int = 0

    def sentence(self) -> str:
        return _(
            "%(tenant)s: %(invoices)s invoices and %(vouchers)s vouchers stamped by the bridge,"
            " %(supplier_invoices)s supplier invoices, %(uploads)s files in Fortnox's inbox"
        ) % {
            "tenant": self.tenant,
            "invoices": self.invoices,
            "vouchers": self.vouchers,
            "supplier_invoices": self.supplier_invoices,
            "uploads": self.uploads,
        }


def start_rebuild(path: Path, source: Path | None = None, url: str = "") -> tuple[Ledger, Path | None]:
    """Set the ledger at `path` aside (with its journal) and start a new one, from the backup
    `source` when given; answers it, marked as being rebuilt (`open_ledger` refuses it until
    the rebuild is finished), and where the old one went. With `url`: `_start_on_postgres`."""
    if url:
        return _start_on_postgres(path, source, url), None
    aside = None
    if path.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = path.with_name(f"{path.name}.{stamp}.set-aside")
        os.replace(path, aside)
    for suffix in ("-wal", "-shm"):
        journal = path.with_name(path.name + suffix)
        if journal.exists():
            if aside is not None:
                os.replace(journal, aside.with_name(aside.name + suffix))
            else:
                journal.unlink()
    if source is not None:
        copy_ledger(source, path)
    keep_private(path)
    ledger = Ledger(path)
    ledger.set_meta("rebuild", "started")
    return ledger, aside


def _start_on_postgres(path: Path, source: Path | None, url: str) -> Ledger:
    """A rebuild on PostgreSQL starts in an empty database: the old one is set aside by being
    left as it is (a database holding files is refused), and a backup to start from is the
    server's own (`pg_restore`), not a SQLite copy. The state folder takes the new ledger's
    identity (the database's, when it has one): the rebuild is the operator's word that this
    is the ledger from now on."""
    try:
        ledger = Ledger(path, url)
    except Unreachable as exc:
        raise LedgerTrouble(str(exc)) from None
    where = {"url": ledger.where, "backup": source}
    if source is not None:
        ledger.close()
        raise LedgerTrouble(
            _(
                "the ledger is in PostgreSQL (%(url)s): a SQLite backup (%(backup)s) cannot be its start."
                " Put a `pg_dump` back with `pg_restore` instead, or rebuild without --from"
            )
            % where
        )
    if ledger.last_file_id() and ledger.meta("rebuild") != "started":
        ledger.close()
        raise LedgerTrouble(
            _(
                "the database %(url)s holds a ledger already; a rebuild starts in an empty one, and the old"
                " one stays as it is: make one (`createdb`), name it in ledger.url, and run the rebuild again"
            )
            % where
        )
    ledger.set_meta("rebuild", "started")
    keep_identity(path, ledger.claim_identity(str(uuid.uuid4())))
    return ledger


def finish_rebuild(ledger: Ledger) -> None:
    ledger.set_meta("rebuild", None)
    ledger.set_meta("rebuilt_at", now_iso())


def fortnox_records(
    client: FortnoxClient, tenant: str, folders: tuple[str, ...] = ()
) -> Iterator[tuple[str, str]]:
    """The fields by which the planners' look-ups find what the bridge created, as Fortnox lists
    them now. Supplier invoices and uploads carry no stamp: all are taken (a needless look-up
    costs one call; a missing one could cost a document twice)."""
    for row in client.iter_pages("/3/invoices", "Invoices"):
        stamp = str(row.get("ExternalInvoiceReference1") or "")
        if stamp.startswith(STAMP_PREFIX):
            yield "ExternalInvoiceReference1", stamp
    for year in fetch_financial_years(client):
        for row in client.iter_pages("/3/vouchers", "Vouchers", financialyear=year.id):
            stamp = str(row.get("Comments") or "")
            if stamp.startswith(STAMP_PREFIX):
                yield "Comments", stamp
    for row in client.iter_pages("/3/supplierinvoices", "SupplierInvoices"):
        if row.get("InvoiceNumber"):
            yield "InvoiceNumber", str(row["InvoiceNumber"])
    for folder in sorted({*UPLOAD_FOLDERS.values(), SUPPLIER_INBOX, *folders}):
        answer = client.get(f"/3/inbox/{folder}")
        files = answer.get("Folder", {}).get("Files", []) if isinstance(answer, dict) else []
        for entry in files:
            if entry.get("Name"):
                yield "Name", str(entry["Name"])


def rebuild_company(
    ledger: Ledger, client: FortnoxClient, tenant: str, folders: tuple[str, ...] = ()
) -> Found:
    counts = {"ExternalInvoiceReference1": 0, "Comments": 0, "InvoiceNumber": 0, "Name": 0}

    def counted() -> Iterator[tuple[str, str]]:
        for field, value in fortnox_records(client, tenant, folders):
            counts[field] += 1
            yield field, value

    ledger.add_fortnox_records(tenant, counted())
    log.info("ledger rebuild: %s read from Fortnox", tenant)
    return Found(
        tenant,
        invoices=counts["ExternalInvoiceReference1"],
        vouchers=counts["Comments"],
        supplier_invoices=counts["InvoiceNumber"],
        uploads=counts["Name"],
    )

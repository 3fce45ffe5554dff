"""The bridge at work: take a file, read and plan it, queue it, send it, answer in `outbox/`.

`Bridge` is the library's one entrance: commands, the watcher and tests take files, send,
retry, cancel and ask for the state through it, and get frozen records back (`records.py`).
Each step commits to the ledger before the next one starts, so a crash at any point resumes
where it stopped (`recover`).

Taking and reading a file needs no network. A file that must be judged against the company's
registers when those were never fetched (or are doubted and not fresh) waits, read, until the
company's sending worker (`run_next`) has fetched them; the worker also runs the company's
scheduled exports (`run_scheduled`).
"""

from __future__ import annotations

import errno
import glob
import hashlib
import logging
import math
import os
import shutil
import stat
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any

from bridge.config import Settings
from bridge.fortnox import FortnoxClient, FortnoxError
from bridge.fortnox.access import AccessCheck, check_access
from bridge.fortnox.scopes import flows_named
from bridge.fortnox.topics import TopicEvent
from bridge.importers import IMPORTERS, FileSource, Importer, extract_file, open_file, special_kind
from bridge.importers.undo import is_undo_file
from bridge.model import Cancellation, Extraction, Problem, Project, UndoRequest, to_plain
from bridge.pipeline import receipts
from bridge.pipeline.executor import Executor, Outcome, backoff_seconds
from bridge.pipeline.filestore import FileStore
from bridge.pipeline.gate import POLL_SECONDS, AccessGate
from bridge.pipeline.inbox import is_ignored, limits_of
from bridge.pipeline.ledger import LedgerTrouble, now_iso, open_ledger, spool_line
from bridge.pipeline.live import LiveWork, live_exports
from bridge.pipeline.masterdata import MasterDataCache
from bridge.pipeline.progress import Progress
from bridge.pipeline.rebuild import earlier_work, ledger_path
from bridge.pipeline.records import (
    DocumentRecord,
    DocumentState,
    FileRecord,
    FileState,
    Notice,
    TenantHealth,
    file_outcome,
)
from bridge.pipeline.schedule import Schedule
from bridge.pipeline.spool import PlanSpool
from bridge.pipeline.status import collect_status
from bridge.pipeline.undo import (
    UNDO_IMPORTER,
    find_sent_file,
    os_user,
    resolve_undo,
    sent_name,
    undo_requests,
)
from bridge.planner import (
    DocumentPlan,
    VoucherStream,
    needs_master_data,
    plan_extraction,
    plan_stream,
    planned_projects,
)
from bridge.planner.describe import describe
from bridge.planner.uploads import safe_name
from bridge.util import (
    atomic_write,
    atomic_write_all,
    dumps,
    fit_name,
    free_name,
    loads,
    move_file,
    remove_stale_temporaries,
    rename_into,
    share_folder,
)
from bridge.util.i18n import N_, _

__all__ = ["Bridge", "RequestError"]

log = logging.getLogger("bridge")

REACHABLE_EVERY = 10.0  # seconds: how fresh `status`'s "last success" is kept
OWN_BACKOFF_AFTER = 3  # transient failures in a row before a document waits on its own

COMPANION = ".companion"  # marks a companion's name in the work area
STRAY = "stray:"  # a notice's key: a file at the root of inbox/ when several companies are configured

OUTBOX_FOLDERS = {
    FileState.DONE: "archive",
    FileState.PARTIAL: "failed",
    FileState.FAILED: "failed",
    FileState.DUPLICATE: "duplicates",
}


_STRAY_TEXT = N_(
    "%(name)s lies at the root of inbox/, but several companies are configured: nothing is sent from"
    " there and it stays where it is. Move it into its company's folder: %(folders)s"
)


class RequestError(ValueError):
    """What was asked cannot be done as asked (no failed file of that name, a bad number)."""


class Bridge:
    def __init__(
        self,
        settings: Settings,
        clients: dict[str, FortnoxClient] | None = None,
        importers: tuple[Importer, ...] = IMPORTERS,
        topics: dict[str, tuple[str, str]] | None = None,
        *,
        full_check: bool = False,
        rebuilding: bool = False,
    ) -> None:
        """Opening checks the ledger (`open_ledger`: never silently new, never damaged; the
        `full_check` of every index is for `watch`'s start; `rebuilding` is `ledger rebuild`'s
        own, on the ledger it is making) and raises LedgerTrouble."""
        self.settings = settings
        self.clients = clients or {}
        self.topics = topics or {}  # company -> (its topics' address, the integration's client secret)
        self.importers = importers
        # Receipts, reports and exports are for people (the umask's mode); tokens and state are not.
        share_folder(settings.outbox, private=settings.state_dir)
        self.work = settings.state_dir / "work"
        self.work.mkdir(parents=True, exist_ok=True)
        self.ledger = open_ledger(
            ledger_path(settings),
            lambda: earlier_work(settings),
            full_check=full_check,
            rebuilding=rebuilding,
            url=str(settings["ledger.url"]),
        )
        self.attachments = FileStore(settings.state_dir / "attachments")
        self.progress = Progress(self.ledger)
        self.executor = Executor(self.ledger, self.attachments, self.progress.step)
        self._failures: dict[str, int] = {}  # transient failures in a row, per tenant
        self._paused_until: dict[str, float] = {}
        self._reachable_said: dict[str, float] = {}  # when the ledger last heard Fortnox answered
        self.registers = MasterDataCache(settings.state_dir, self.clients)
        self.schedule = Schedule(settings)
        self.live = LiveWork(settings, self.ledger, self.clients)
        self._unplanned: dict[str, dict[int, Extraction | VoucherStream]] = {}  # read, waiting for registers
        self._unplanned_lock = threading.Lock()
        self._finalize_locks: dict[str, threading.Lock] = {}  # per company
        self._locks_lock = threading.Lock()
        self._names_lock = threading.Lock()
        self._reserved: set[str] = set()  # outbox names chosen by files still finishing
        self.gate = AccessGate(self.ledger, multi_tenant=settings.multi_tenant)

    def close(self) -> None:
        self.ledger.close()

    @contextmanager
    def keeping_backups(self) -> Iterator[None]:
        """While `watch` runs, a copy of the ledger every `ledger.backup_hours` (the first at its
        start, the last as it stops) in `<state>/backups/`, the newest `ledger.backup_keep` kept: a
        disk that loses the ledger loses at most those hours, and `ledger rebuild --from` adds
        them back from Fortnox."""
        hours = float(self.settings["ledger.backup_hours"])
        if self.ledger.postgres and hours > 0:
            log.info(
                "the ledger is in PostgreSQL (%s): its copies are pg_dump's, not the bridge's",
                self.ledger.where,
            )
        if hours <= 0 or self.ledger.postgres:
            yield
            return
        stop = threading.Event()

        def run() -> None:
            while True:
                try:
                    self._rolling_backup()
                finally:
                    self.ledger.close()  # this thread's own connection
                if stop.wait(hours * 3600):
                    return

        thread = threading.Thread(target=run, name="ledger-backup", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(60)
            self._rolling_backup()  # and one as it stops: the copy holds the whole run

    def _rolling_backup(self) -> None:
        try:
            self.ledger.rolling_backup(int(self.settings["ledger.backup_keep"]))
        except (OSError, LedgerTrouble) as exc:
            log.error("could not copy the ledger into its backups: %s", exc)

    def __enter__(self) -> Bridge:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    # --- what the ledger knows -----------------------------------------------------------

    def file(self, file_id: int) -> FileRecord:
        return self.ledger.file(file_id)

    def files(
        self, *, after: int = 0, states: Sequence[FileState] | None = None, tenant: str | None = None
    ) -> list[FileRecord]:
        """Files in the order they were taken (those taken after id `after`)."""
        return self.ledger.files(states, tenant, after)

    def latest_files(
        self, tenant: str, states: Sequence[FileState] | None = None, limit: int = 100
    ) -> list[FileRecord]:
        """The company's last files (of `states`), newest first."""
        return self.ledger.latest_files(tenant, states, limit)

    def documents(self, file_id: int) -> list[DocumentRecord]:
        return self.ledger.documents_of(file_id)

    def document_counts(self, file_id: int) -> dict[str, int]:
        """The file's documents by state, counted (a SIE file holds thousands)."""
        return self.ledger.document_counts(file_id)

    def last_file_id(self) -> int:
        return self.ledger.last_file_id()

    def notices(self) -> list[Notice]:
        return self.ledger.notices()

    def counts(self, tenant: str | None = None) -> dict[str, dict[str, int]]:
        """How many files and documents are in each state."""
        return self.ledger.counts(tenant)

    def waiting(self) -> dict[str, tuple[int, int]]:
        """Per company with any: documents still to send, files not yet judged."""
        return self.ledger.waiting()

    def health(self, tenant: str) -> TenantHealth:
        """Whether Fortnox answers this company, and since when it does not."""
        return self.ledger.tenant_health(tenant)

    def status(self) -> dict[str, Any]:
        """What is queued, waiting, failed and done, per company (`status --json`)."""
        self.forget_vanished()
        return collect_status(self)

    # --- taking files --------------------------------------------------------------------

    def take(
        self, path: Path, tenant: str, *, copy: bool = False, companion: Path | None = None
    ) -> FileRecord | None:
        """Take `path` into the work area (atomic rename; `copy` leaves the original alone),
        with its `companion` (the invoice's PDF beside its XML), read it and queue what it
        holds. Answers its record, or None when the file vanished before it could be taken
        (or cannot be read yet)."""
        file_id = self.take_in(path, tenant, copy=copy, companion=companion)
        return None if file_id is None else self.ledger.file(file_id)

    def take_in(
        self, path: Path, tenant: str, *, copy: bool = False, companion: Path | None = None
    ) -> int | None:
        """`take`, answering the file's id only (all the watcher needs)."""
        file_id = self._claim(path, tenant, copy=copy, companion=companion)
        if file_id is not None:
            self._ingest(file_id)
        return file_id

    def claim(self, path: Path, tenant: str, *, companion: Path | None = None) -> FileRecord | None:
        """Worker mode's intake: take `path` into the shared work area and record it, nothing
        more. The worker that serves the company reads and queues it (`catch_up`), so that a
        company's files are only ever read, planned and answered by the one worker serving it."""
        file_id = self._claim(path, tenant, copy=False, companion=companion, answer=False)
        return None if file_id is None else self.ledger.file(file_id)

    def catch_up(self, tenant: str) -> None:
        """Worker mode, at the start of a company's slice: read and queue the files the intake
        claimed for it, and write the answers in outbox/ that are not written yet — what
        `recover` does at start-up, for this company, on whichever worker serves it now."""
        for file in self.ledger.files([FileState.CLAIMED], tenant=tenant):
            self._ingest(file.id)
        for file in self.ledger.unfinished_files(tenant):
            if not self.finalize(file.id):
                return

    def submit(self, extraction: Extraction, tenant: str, name: str) -> FileRecord:
        """Queue documents made in code (a cancellation the operator typed) as if a file named
        `name` had held them: the same checks, the same receipt, nothing to move."""
        self.settings.tenant(tenant)
        digest = hashlib.sha256(dumps(to_plain(list(extraction.documents))).encode()).hexdigest()
        file_id = self.ledger.add_file(tenant, name, digest, 0, None, origin=name)
        self._ingest(file_id, extraction)
        return self.ledger.file(file_id)

    def process(
        self, paths: Iterable[Path], tenant: str | None = None, *, until_blocked: bool = True
    ) -> list[FileRecord]:
        """Take these files (copies of those outside the inbox) and send them now, ahead of
        what else is queued. With `until_blocked`, give up when Fortnox cannot be reached:
        what is queued stays queued."""
        taken = []
        for path in paths:
            name = self.settings.tenant_for(path, tenant).name
            inside = path.resolve().is_relative_to(self.settings.inbox)
            record = self.take(path, name, copy=not inside)
            if record is not None:
                taken.append(record)
        return self._send_now(taken, until_blocked, ahead=True)

    def cancel(self, cancellation: Cancellation, *, tenant: str | None = None) -> FileRecord:
        """Cancel a preliminary supplier invoice now (what a line of a `cancel*.txt` file does)."""
        if tenant is None and self.settings.multi_tenant:
            raise RequestError(_("several companies are configured; say which one with --tenant"))
        name = tenant or self.settings.tenants[0].name
        words = ["cancel-supplierinvoice", *filter(None, [cancellation.supplier]), cancellation.number]
        extraction = Extraction("cancel", (cancellation,), facts={"cancellations": 1})
        record = self.submit(extraction, name, "-".join(safe_name(w) for w in words) + ".txt")
        return self._send_now([record], until_blocked=True)[0]

    def undo(self, name: str, *, tenant: str | None = None, requested_by: str | None = None) -> FileRecord:
        """Reverse what the file `name` created in Fortnox, as Fortnox allows, now; answers the
        undo's own record (`undo-<name>.txt`, with its receipt). Each record is reversed once,
        however often this is asked (what an `undo-*.txt` file in the inbox does)."""
        tenant_name = self._tenant_named(tenant)
        found = find_sent_file(self.ledger, tenant_name, name)
        if isinstance(found, str):
            raise RequestError(found)
        wanted = sent_name(name)
        extraction = Extraction(
            UNDO_IMPORTER,
            (UndoRequest(wanted, wanted),),
            facts={"requested_by": requested_by or os_user()},
        )
        record = self.submit(extraction, tenant_name, f"undo-{wanted}.txt")
        return self._send_now([record], until_blocked=True)[0]

    def undo_preview(self, name: str, *, tenant: str | None = None) -> dict[str, Any]:
        """What `undo` would send, as `check` says it (no network, nothing written): each
        reversal with its calls (none for those already undone), and as warnings what stays."""
        tenant_name = self._tenant_named(tenant)
        found = find_sent_file(self.ledger, tenant_name, name)
        if isinstance(found, str):
            raise RequestError(found)
        settings = self.settings.tenant(tenant_name)
        wanted = sent_name(name)
        request = Extraction(UNDO_IMPORTER, (UndoRequest(wanted, wanted),))
        resolved, _ = resolve_undo(self.ledger, settings, request, today=date.today(), requested_by=os_user())
        resolved, plans = plan_extraction(resolved, settings, self.registers.cached(tenant_name))
        live = self.ledger.live_documents(tenant_name, "undo", [p.key.source_key for p in plans])
        documents = describe(plans)
        for document in documents:
            if document["source_key"] in live:
                document["already_undone_by"] = self.ledger.file(live[document["source_key"]]).name
                document["calls"] = []
        problems = [*resolved.problems, *(p for plan in plans for p in plan.problems)]
        return {
            "file": wanted,
            "tenant": tenant_name,
            "undoes": resolved.facts["undoes"],
            "ok": not any(p.is_error for p in problems),
            "problems": to_plain(problems),
            "documents": documents,
        }

    def _tenant_named(self, tenant: str | None) -> str:
        if tenant is None and self.settings.multi_tenant:
            raise RequestError(_("several companies are configured; say which one with --tenant"))
        return self.settings.tenant(tenant).name if tenant else self.settings.tenants[0].name

    def failed_files(self, name: str | None = None) -> list[FileRecord]:
        """Every failed or partly imported file; with `name` (as dropped, or as answered in
        outbox/failed/), the last such file of that name. Those moved or deleted from
        outbox/failed/ meanwhile are forgotten first (`forget_vanished`)."""
        self.forget_vanished()
        if name is None:
            return self.ledger.files([FileState.FAILED, FileState.PARTIAL])
        found = [f for f in self.ledger.find_files(Path(name).name) if f.state.retryable]
        if not found:
            raise RequestError(
                _("no failed file named %(name)r; see `fortnox-bridge status`") % {"name": name}
            )
        return found[-1:]

    def dismiss(self, name: str) -> FileRecord:
        """Forget the failed file `name` on purpose (`dismiss`): no longer listed nor retried;
        dropped again, what it holds that is not in Fortnox yet is sent."""
        file = self.failed_files(name)[0]
        self.ledger.dismiss(file.id)
        log.info("%s dismissed", file.name)
        return file

    def forget_vanished(self) -> list[FileRecord]:
        """Failed files someone moved or deleted from outbox/failed/: there is nothing left to
        retry, so they are dismissed (and said so) instead of being listed for ever."""
        gone = []
        for file in self.ledger.files([FileState.FAILED, FileState.PARTIAL]):
            target = file.outcome_path
            if target is None or file.finished_at is None:
                continue  # its answer is not written yet
            if file.work_path is None:  # made by a command, which answered then (an undo: its report)
                if file.importer != UNDO_IMPORTER:
                    self.ledger.dismiss(file.id)
                continue
            if target.exists() or target.is_symlink():
                continue
            self.ledger.dismiss(file.id)
            log.warning(
                "%s is no longer in %s (moved or deleted): it is not listed any more; drop it into the"
                " inbox again to send what it holds",
                file.name,
                target.parent,
            )
            gone.append(file)
        return gone

    def retry(
        self, files: Iterable[FileRecord | int], *, until_blocked: bool = True, send: bool = True
    ) -> list[FileRecord]:
        """Send again what failed in these files, now (without `send`, queue it for the
        company's worker); answers the files that were taken back."""
        taken = [self.ledger.file(file_id) for file_id in self._reopen(files)]
        return self._send_now(taken, until_blocked, ahead=True) if send else taken

    def _send_now(
        self, files: Sequence[FileRecord], until_blocked: bool, *, ahead: bool = False
    ) -> list[FileRecord]:
        """Send now what is queued for these files' companies, company after company; `ahead`
        (`process`, `retry`): only these files' documents, ahead of whatever else is queued, in
        the order they were taken; the rest of the queue waits for `watch`."""
        for tenant in dict.fromkeys(f.tenant for f in files):
            only = [f.id for f in files if f.tenant == tenant] if ahead else []
            self.drain(tenant, until_blocked=until_blocked, files=only)
        return [self.ledger.file(f.id) for f in files]

    def answer_strays(self) -> None:
        """With several companies, a file at the root of inbox/ is for none of them: it is left
        there, unread, with a notice and a receipt (`outbox/receipts/<name>.receipt.txt`) saying
        where to put it; both go once the file is gone."""
        if not self.settings.multi_tenant:
            return
        try:
            entries = list(os.scandir(self.settings.inbox))
        except FileNotFoundError:
            return
        receipts_dir = self.settings.outbox / "receipts"
        present = set()
        for entry in entries:
            if is_ignored(entry.name) or entry.is_dir(follow_symlinks=False):
                continue
            present.add(entry.name)
            folders = ", ".join(f"inbox/{t.name}/" for t in self.settings.tenants)
            # The notice is kept in English (`status` translates it); the receipt is read as written.
            values = {"name": entry.name, "folders": folders}
            if self.ledger.notice(f"{STRAY}{entry.name}", _STRAY_TEXT % values):
                log.warning("%s", _STRAY_TEXT % values)
                atomic_write(receipts_dir / f"{entry.name}.receipt.txt", _(_STRAY_TEXT) % values + "\n")
        for notice in self.ledger.notices():
            name = notice.key.removeprefix(STRAY)
            if notice.key.startswith(STRAY) and name not in present:
                self.ledger.clear_notice(notice.key)
                (receipts_dir / f"{name}.receipt.txt").unlink(missing_ok=True)

    # --- claiming ------------------------------------------------------------------------

    def _claim(
        self, path: Path, tenant: str, *, copy: bool, companion: Path | None, answer: bool = True
    ) -> int | None:
        """`answer`: a file refused here is answered in outbox/ at once (in worker mode, by the
        worker serving its company, which alone answers for it)."""
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(mode):
            return self._refuse(
                path,
                tenant,
                N_("the file is a symbolic link; the bridge only takes real files"),
                move=not copy,
                answer=answer,
            )
        special = special_kind(mode)
        if special is not None:  # a FIFO would block the reader, /dev/zero never ends: never read
            reason = N_("the file is %(kind)s; the bridge only takes real files") % {"kind": special}
            return self._refuse(path, tenant, reason, move=not copy, answer=answer)
        if not os.access(path, os.R_OK):
            # Leave it where people can see it; it is taken as soon as it can be read.
            if self.ledger.notice(
                f"unreadable:{path}", N_("cannot read %(path)s: permission denied") % {"path": path}, tenant
            ):
                log.error(
                    "cannot read %s (permission denied); it stays in the inbox until it can be read", path
                )
            return None
        self.ledger.clear_notice(f"unreadable:{path}")
        work_path = self._into_work(path, tenant, copy=copy)
        if work_path is None:
            return None
        _remove_done_marker(path)
        origin = self._origin(path, tenant)
        companion_work = self._claim_companion(companion, work_path, copy) if companion else None
        try:
            digest, size = _sha256(work_path)
        except OSError as exc:
            file_id = self.ledger.add_file(tenant, path.name, "-", 0, work_path, origin=origin)
            self._fail_unread(
                file_id,
                N_("the file cannot be read: %(error)s") % {"error": exc.strerror or exc},
                answer=answer,
            )
            return file_id
        file_id = self.ledger.add_file(
            tenant, path.name, digest, size, work_path, origin=origin, companion=companion_work
        )
        log.info("claimed %s (%s bytes) for %s", path.name, size, tenant)
        return file_id

    def _origin(self, path: Path, tenant: str) -> str:
        """Where in the company's inbox the file was dropped (`vouchers/A-15.pdf`)."""
        inbox = self.settings.inbox_of(tenant)
        try:
            return path.absolute().relative_to(inbox).as_posix()
        except ValueError:
            return path.name

    @staticmethod
    def _claim_companion(companion: Path, work_path: Path, copy: bool) -> Path | None:
        target = work_path.with_name(f"{work_path.name}{COMPANION}{companion.suffix.lower()}")
        try:
            if copy:
                shutil.copyfile(companion, target)
            else:
                os.rename(companion, target)
        except FileNotFoundError:
            return None
        _remove_done_marker(companion)
        return target

    def _work_path(self, tenant: str, name: str) -> Path:
        return self.work / tenant / f"{uuid.uuid4().hex[:12]}-{fit_name(name)}"

    def _into_work(self, path: Path, tenant: str, *, copy: bool) -> Path | None:
        """`path` renamed (or copied) into the company's work area; None when it vanished first."""
        work_path = self._work_path(tenant, path.name)
        try:
            if copy:  # `process` of a file from elsewhere: rare, the folder made as may be needed
                work_path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, work_path)
            else:
                rename_into(path, work_path)
        except FileNotFoundError:
            return None
        return work_path

    def _refuse(
        self, path: Path, tenant: str, reason: str, *, move: bool = True, answer: bool = True
    ) -> int | None:
        """Record `path` as failed unread; `move` it (the link or special file itself, never what
        it points to) out of the inbox, or leave alone what `process` was given from elsewhere."""
        work_path = self._into_work(path, tenant, copy=False) if move else self._work_path(tenant, path.name)
        if work_path is None:
            return None
        file_id = self.ledger.add_file(tenant, path.name, "-", 0, work_path)
        self._fail_unread(file_id, reason, answer=answer)
        return file_id

    def _fail_unread(self, file_id: int, reason: str, *, answer: bool = True) -> None:
        problem = Problem(reason, hint=N_("put the file itself into the inbox"), code="file.unreadable")
        self.ledger.fail_file(file_id, "", {}, [problem], reason)
        if answer:
            self.finalize(file_id)

    # --- reading and queueing ------------------------------------------------------------

    def _ingest(
        self, file_id: int, extraction: Extraction | VoucherStream | None = None, *, may_wait: bool = True
    ) -> None:
        """Read, validate and plan a claimed file (or the `extraction` made in code); queue its
        documents. No network: with `may_wait`, a file whose registers must be fetched first
        waits for the company's worker (`_plan_waiting`)."""
        file = self.ledger.file(file_id)
        if file.state != FileState.CLAIMED:
            return  # refused at claim time, or read already
        # An undo asks again each time: what it reversed already is a duplicate document.
        undo = isinstance(extraction, Extraction) and extraction.importer == UNDO_IMPORTER
        undo = undo or is_undo_file(file.name)
        earlier = None if undo else self.ledger.earlier_copy(file)
        if earlier is not None:
            self.ledger.mark_duplicate(file_id, earlier)
            log.info("%s has the same content as %s: nothing sent", file.name, earlier.name)
            self.finalize(file_id)
            return
        try:
            if extraction is None:
                extraction = self._open(file)
            if not isinstance(extraction, Extraction):
                if not self._queue_stream(file, extraction, may_wait=may_wait):
                    with self._unplanned_lock:
                        self._unplanned.setdefault(file.tenant, {})[file_id] = extraction
                    log.info("%s: judged once %s's registers are fetched", file.name, file.tenant)
                return
            planned = self._plan(file.tenant, extraction, may_wait=may_wait, file=file)
            if planned is None:
                with self._unplanned_lock:
                    self._unplanned.setdefault(file.tenant, {})[file_id] = extraction
                log.info("%s: read; judged once %s's registers are fetched", file.name, file.tenant)
                return
            extraction, plans = planned
            undoes = [f["file_id"] for f in extraction.facts.pop("undone_files", ())]
        except Exception as exc:  # an importer bug must not take the bridge down
            log.exception("reading %s failed", file.name)
            problem = Problem(
                f"the bridge could not read this file: {type(exc).__name__}: {exc}", code="internal"
            )
            self.ledger.fail_file(file_id, "", {}, [problem], str(problem.message))
            self.finalize(file_id)
            return
        if extraction.errors or not plans:
            self._refuse_read(file, extraction)
            return
        self._keep_files(file.tenant, plans)
        warnings = [p for plan in plans for p in plan.problems if not p.is_error]
        to_send = self.ledger.queue(
            file_id,
            extraction.importer,
            extraction.facts,
            [*extraction.problems, *warnings],
            plans,
            undoes=undoes,
            requested_by=str(extraction.facts.get("requested_by", "")),
        )
        log.info("%s: %d document(s) queued", file.name, len(plans))
        if not to_send:  # all failed or duplicates: answered now (else by the worker sending the last)
            self.finalize(file_id)

    def _queue_stream(self, file: FileRecord, stream: VoucherStream, *, may_wait: bool) -> bool:
        """Read, judge and queue a file read as a stream (a SIE file of any size): its plans go
        to disk as they are made and into the ledger in batches once the file is judged, so
        memory stays flat. False when it must wait for the company's registers to be fetched."""
        tenant = self.settings.tenant(file.tenant)
        master = self.registers.cached(tenant.name)
        wait = may_wait and self.registers.can_fetch(tenant.name) and not self.registers.is_fresh(tenant.name)
        if wait and master is None:
            return False
        with PlanSpool(spool_line) as spool:
            planned, first = plan_stream(stream, tenant, master, spool.add)
            if wait and planned.errors:
                return False  # judged against registers that may have changed: look again first
            if planned.errors or not (first or spool.count):
                self._refuse_read(file, planned)
                return True
            queued = self.ledger.queue_spooled(
                file.id, planned.importer, planned.facts, planned.problems, first, spool.lines()
            )
        log.info("%s: %d document(s) queued", file.name, queued)
        self.finalize_if_complete(file.id)
        return True

    def _refuse_read(self, file: FileRecord, extraction: Extraction) -> None:
        problems = list(extraction.problems)
        if not extraction.errors:
            problems.append(Problem(N_("the file holds nothing to send to Fortnox"), code="file.empty"))
        first = next((p for p in problems if p.is_error), problems[0])
        self.ledger.fail_file(file.id, extraction.importer, extraction.facts, problems, first.message)
        log.info("%s refused: %s", file.name, first.message)
        self.finalize(file.id)

    def _keep_files(self, tenant: str, plans: Iterable[DocumentPlan]) -> None:
        """The bytes a plan uploads are ours before the document can run."""
        for plan in plans:
            for attachment in plan.files:
                self.attachments.put(tenant, attachment.data)

    def _release_files(self, tenant: str, uploaded: Sequence[str]) -> None:
        """Uploaded bytes are dropped from the store once no unfinished document needs them."""
        for sha256 in uploaded:
            if not self.ledger.uploads_pending(tenant, sha256):
                self.attachments.discard(tenant, sha256)

    def _read(self, file: FileRecord) -> Extraction:
        return extract_file(self._source(file), self.importers)

    def _open(self, file: FileRecord) -> Extraction | VoucherStream:
        return open_file(self._source(file), self.importers)

    def _source(self, file: FileRecord) -> FileSource:
        if file.work_path is None:
            raise RequestError(_("%(name)s was made in code and cannot be read again") % {"name": file.name})
        return FileSource.open(
            file.work_path,
            name=file.name,
            tenant=file.tenant,
            origin=file.origin or file.name,
            companion=file.companion,
            limits=limits_of(self.settings),
            follow_links=False,  # a link refused once and retried is refused again, its target unread
        )

    def _plan(
        self, tenant_name: str, extraction: Extraction, *, may_wait: bool, file: FileRecord | None = None
    ) -> tuple[Extraction, list[DocumentPlan]] | None:
        """The extraction planned against the registers known now; None (with `may_wait`)
        when they must be fetched first: never fetched, or doubted and not fresh. Undo
        requests become the reversals of what the files they name created (from the ledger)."""
        tenant = self.settings.tenant(tenant_name)
        if extraction.errors:
            return extraction, []
        if undo_requests(extraction):
            by = extraction.facts.get("requested_by") or os_user(file.work_path if file else None)
            extraction, undone = resolve_undo(
                self.ledger, tenant, extraction, today=date.today(), requested_by=by
            )
            extraction.facts["undone_files"] = [{"file_id": f.id} for f in undone]
            if extraction.errors:
                return extraction, []
        needs = needs_master_data(extraction)
        master = self.registers.cached(tenant.name) if needs else None
        projects = self.known_projects(tenant.name, planned_projects(extraction))
        planned, plans = plan_extraction(extraction, tenant, master, projects)
        if may_wait and needs and self.registers.can_fetch(tenant.name):
            doubted = bool(planned.errors) or any(p.problems for p in plans)
            if (master is None or doubted) and not self.registers.is_fresh(tenant.name):
                return None
        return planned, plans

    def known_projects(self, tenant: str, numbers: Iterable[str]) -> dict[str, Project]:
        """What the project registers the bridge has read say of these projects."""
        return {
            number: project_from_plain(plain)
            for number, plain in self.ledger.register_records(tenant, "project", sorted(numbers)).items()
        }

    def _plan_waiting(self, tenant: str) -> None:
        """On the company's worker: fetch its registers, then plan the files that wait for them
        (with what is known, should Fortnox not answer)."""
        with self._unplanned_lock:
            waiting = self._unplanned.pop(tenant, {})
        if not waiting:
            return
        self.registers.refresh(tenant)
        for file_id, extraction in waiting.items():
            self._ingest(file_id, extraction, may_wait=False)

    # --- access --------------------------------------------------------------------------

    def access(self, tenant: str) -> dict[str, Any] | None:
        """What Fortnox lets the company do, as last recorded (`state`, `since`, `notices`,
        `checked`); None before the first check."""
        return self.ledger.access(tenant)

    def check_access(self, tenant: str) -> AccessCheck | None:
        """Ask Fortnox what the company allows (connection, scopes, licences), record it and say
        what is missing; None when Fortnox cannot be reached (nothing is known then)."""
        client = self.clients[tenant]
        settings = self.settings.tenant(tenant)
        try:
            check = check_access(
                client,
                tenant if self.settings.multi_tenant else None,
                flows_named(settings["fortnox.flows"]),
                personal=getattr(client.tokens, "kind", "") == "personal",
                company=settings["fortnox.company"],
            )
        except FortnoxError as error:
            log.info("%s: cannot ask Fortnox what the company allows now: %s", tenant, error)
            return None
        self.gate.checked(tenant, check)
        return check

    # --- sending -------------------------------------------------------------------------

    def pace_wait(self, tenant: str) -> float:
        """Seconds until the company may make its next call (its window at Fortnox is full)."""
        client = self.clients.get(tenant)
        return client.pacer.ready_in() if client is not None and client.pacer is not None else 0.0

    def renew_token(self, tenant: str) -> float | None:
        """On the company's worker: renew its access token ahead of expiry when due, so that no
        document waits for a token; answers the seconds until the next renewal (None: none)."""
        client = self.clients.get(tenant)
        renew_in = getattr(client.tokens, "renew_in", None) if client is not None else None
        if client is None or renew_in is None or self.gate.stopped(tenant):
            return None
        due: float | None = renew_in()
        if due is not None and due <= 0:
            try:
                client.tokens.renew()  # type: ignore[attr-defined]
            except FortnoxError as error:  # the next call says what is wrong, through the gate
                log.info("%s: access token not renewed ahead of time: %s", tenant, error)
                return None
            due = renew_in()
        return due

    def run_next(self, tenant: str, files: Sequence[int] = ()) -> tuple[Outcome | None, float | None]:
        """Run the oldest due document of `tenant` (of these `files` only, when given); answers
        its outcome and, when nothing ran or it must wait, when to look again. This is the
        company's worker: it is also where files waiting for the company's registers are planned."""
        self._plan_waiting(tenant)
        paused_until = self._paused_until.get(tenant, 0.0)
        if time.time() < paused_until:
            return None, paused_until
        if not self.gate.may_send(tenant):
            return None, time.time() + POLL_SECONDS
        waiting = self.gate.waiting_kinds(tenant)
        document, later = self.ledger.next_due(tenant, skip_kinds=sorted(waiting), files=files)
        if waiting:  # look again soon: the missing licence may be bought meanwhile
            later = min(later or math.inf, time.time() + POLL_SECONDS)
        if document is None:
            return None, later
        client = self.clients[tenant]
        outcome = self.executor.run(client, document)
        if outcome.refused is not None:
            personal = getattr(client.tokens, "kind", "") == "personal"
            self.gate.refused(tenant, outcome.refused, personal=personal, kind=document.kind)
            return outcome, time.time() + POLL_SECONDS
        if outcome.state == "later":
            return outcome, self._wait_after_failure(tenant, document, outcome)
        now = time.monotonic()  # said in the ledger after trouble, else every few seconds: not per call
        if self._failures.get(tenant) or now - self._reachable_said.get(tenant, -math.inf) >= REACHABLE_EVERY:
            self.ledger.tenant_reachable(tenant)
            self._reachable_said[tenant] = now
        self._failures[tenant] = 0
        self.gate.sent(tenant)
        if outcome.state == "failed":
            log.warning("%s failed: %s", document.name, outcome.error)
        else:
            log.info("%s: done", document.name)
            self._release_files(document.tenant, outcome.uploaded)
        if self.progress.document(document):  # the file's last document: its answer is written now
            self.finalize(document.file_id, tenant)
        return outcome, None

    def _wait_after_failure(self, tenant: str, document: DocumentRecord, outcome: Outcome) -> float:
        """Transient trouble (an outage, a 5xx, a 429) is the tenant's: all of its documents
        wait, so that when Fortnox answers again they go in arrival order. A document that keeps
        failing while others might not gets a backoff of its own, so it cannot block the rest."""
        failures = self._failures[tenant] = self._failures.get(tenant, 0) + 1
        resume = time.time() + backoff_seconds(failures)
        self._paused_until[tenant] = resume
        own = document.failures + 1
        own_wait = time.time() + backoff_seconds(own) if own >= OWN_BACKOFF_AFTER else 0.0
        self.ledger.document_later(document.id, outcome.error, own_wait)
        if outcome.unreachable:
            self.ledger.tenant_unreachable(tenant, outcome.error)
        log.warning("%s: will retry: %s", document.name, outcome.error)
        return resume

    def run_scheduled(self, tenant: str) -> float | None:
        """Run `tenant`'s scheduled exports that are due (on its worker, as `watch` does);
        answers the seconds until the next one, or None when none is scheduled (or the company
        waits for a person: its exports wait with its files)."""
        client = self.clients.get(tenant)
        if client is None or self.gate.stopped(tenant):
            return None
        live = frozenset(live_exports(self.settings, tenant)) if self.live.is_live(tenant) else frozenset()
        return self.schedule.run_due(client, tenant, replaced=live)

    # --- live changes from Fortnox's topics ----------------------------------------------

    def live_companies(self) -> dict[tuple[str, str], list[str]]:
        """Companies with live updates on, by the connection they share: (address, client secret)."""
        groups: dict[tuple[str, str], list[str]] = {}
        for tenant in self.settings.tenants:
            if live_exports(self.settings, tenant.name) and tenant.name in self.topics:
                groups.setdefault(self.topics[tenant.name], []).append(tenant.name)
        return groups

    def live_allowed(self, tenant: str) -> tuple[bool, str]:
        """Whether the company may be put on the live connection now, and if not, why: a company
        that waits for a person (reconnect needed, not connected) waits with its live updates."""
        if not self.gate.stopped(tenant):
            return True, ""
        access = self.ledger.access(tenant) or {}
        return False, f"{access.get('state', 'waiting')} (see `fortnox-bridge status`)"

    def receive_live(self, stream: str, events: Sequence[tuple[str | None, TopicEvent]]) -> list[str]:
        """Keep events from the topics (addressed to a company, or to none of ours); answers the
        companies whose worker has new work."""
        return self.live.receive(stream, events)

    def run_live(self, tenant: str) -> float | None:
        """On the company's worker: sweeps and the exports its pending events change; answers
        when to try again after Fortnox failed to answer."""
        if self.gate.stopped(tenant):
            return None  # its events wait in the ledger with its files
        return self.live.run(tenant)

    def drain(self, tenant: str, *, until_blocked: bool = True, files: Sequence[int] = ()) -> None:
        """Send what is queued for `tenant` (for these `files` only, when given), waiting out
        backoffs; with `until_blocked`, give up as soon as Fortnox is unreachable (the
        documents stay queued for `watch`)."""
        while True:
            outcome, later = self.run_next(tenant, files)
            if outcome is not None and outcome.state != "later":
                continue
            if later is None or (until_blocked and outcome is not None and outcome.unreachable):
                return
            if until_blocked and (outcome is None or outcome.refused) and self.gate.waiting(tenant):
                return  # a person must act first: the documents stay queued for `watch`
            time.sleep(min(max(later - time.time(), 0.01), 1.0))

    # --- finishing -----------------------------------------------------------------------

    def finalize_if_complete(self, file_id: int) -> None:
        if self.ledger.documents_finished(file_id):
            self.finalize(file_id)

    def finalize(self, file_id: int, tenant: str | None = None) -> bool:
        """Write the receipt (and error report), move the original to its outbox folder, and
        record it. Safe to repeat: a crash half-way is finished by the next call. When
        outbox/ cannot be written (permissions, a full disk) the original stays in the work
        area, `status` says why, and `finish_pending` completes it later."""
        try:
            self._finalize(file_id, tenant or self.ledger.file(file_id).tenant)
        except OSError as exc:
            message = N_("cannot write the answer in %(folder)s: %(error)s") % {
                "folder": self.settings.outbox,
                "error": exc.strerror or exc,
            }
            if self.ledger.notice("outbox", message):
                log.error("%s; nothing is lost, it is written once the outbox can be written again", message)
            return False
        self.ledger.clear_notice("outbox")
        return True

    def finish_pending(self) -> None:
        for file in self.ledger.unfinished_files():
            if not self.finalize(file.id):
                return

    def _finalize(self, file_id: int, tenant: str) -> None:
        # One file of a company at a time (an undo rewrites its original's receipt); companies
        # in parallel. Only choosing a free name in the shared outbox is one at a time for all.
        with self._company_lock(tenant):
            file = self.ledger.file(file_id)
            documents = self.ledger.documents_of(file_id)
            state = file_outcome(file, documents)
            target = file.outcome_path
            reserved: list[str] = []
            if target is None:
                with self._names_lock:
                    target = self._choose_target(file, OUTBOX_FOLDERS[state])
                    reserved = self._reservation(file, target)
                    self._reserved.update(reserved)
                self.ledger.set_outcome_path(file_id, target)  # the name stays reserved till the end
                file = replace(file, outcome_path=target)
            try:
                self._finish(file, documents, state, target)
            finally:
                with self._names_lock:
                    self._reserved.difference_update(reserved)

    def _company_lock(self, tenant: str) -> threading.Lock:
        with self._locks_lock:
            return self._finalize_locks.setdefault(tenant, threading.Lock())

    def _finish(
        self, file: FileRecord, documents: list[DocumentRecord], state: FileState, target: Path
    ) -> None:
        file_id = file.id
        finished_at = now_iso()
        receipt = self._write_receipts(file, documents, finished_at)
        undoes = self.ledger.undone_files(file_id) if file.importer == UNDO_IMPORTER else []
        for original in undoes:  # their receipts say they were undone
            self._write_receipts(self.ledger.file(original), undone=(file_id, state, finished_at))
        # A `cancel` command says why it failed itself: nothing for outbox/failed/. (An undo
        # keeps its report there: what Fortnox would not let be undone, and how to ask again.)
        made_by_command = file.work_path is None and file.importer != UNDO_IMPORTER
        if state.retryable and not made_by_command:
            atomic_write(target.with_name(target.name + ".error.txt"), receipts.render_error_report(receipt))
        if file.companion is not None and file.companion.exists():  # the PDF travels with its XML
            move_file(file.companion, _companion_target(target, file.companion))
        work_path = file.work_path
        if work_path is not None and (work_path.exists() or work_path.is_symlink()):
            move_file(work_path, target)
        self.ledger.file_finished(file_id, state)
        if state.retryable and made_by_command:
            # Nothing lies in outbox/failed/ to retry: the command said why; its receipt stays.
            self.ledger.dismiss(file_id)
            log.info("%s: %s (see its receipt in %s)", file.name, state, target.parent.parent / "receipts")
            return
        log.info("%s: %s → %s", file.name, state, target.relative_to(self.settings.outbox.parent))

    def _write_receipts(
        self,
        file: FileRecord,
        documents: Sequence[DocumentRecord] | None = None,
        finished_at: str | None = None,
        *,
        undone: tuple[int, FileState, str] | None = None,
    ) -> dict[str, Any]:
        """The file's receipt, JSON and text, written anew (a finished file's keeps its time);
        `undone` is an undo file of it finishing now: its id, how it ends, and when."""
        if documents is None:
            documents = self.ledger.documents_of(file.id)
        undos = self.ledger.undos_of(file.id)
        if undone is not None:
            undo_id, state, at = undone
            undos = [
                replace(u, state=state, finished_at=at) if u.undo_file_id == undo_id else u for u in undos
            ]
        target = file.outcome_path or Path(file.name)
        receipts_dir = self.settings.outbox_of(file.tenant) / "receipts"
        receipt = receipts.build_receipt(
            file,
            documents,
            receipts=receipts_dir,
            finished_at=finished_at or file.finished_at or now_iso(),
            undos=undos,
        )
        atomic_write_all(
            {
                receipts_dir / f"{target.name}.receipt.json": receipts.render_receipt_json(receipt),
                receipts_dir / f"{target.name}.receipt.txt": receipts.render_receipt_text(receipt),
            }
        )
        return receipt

    def _choose_target(self, file: FileRecord, folder: str) -> Path:
        """A name free in the target folder whose receipt name is free too (or already ours,
        when a retried file finishes again), and its companion's name as well."""
        file_id, name, companion = file.id, file.name, file.companion
        receipts_dir = self.settings.outbox_of(file.tenant) / "receipts"
        directory = self.settings.outbox_of(file.tenant) / folder

        def free(candidate: str) -> bool:
            if (
                str(receipts_dir / candidate) in self._reserved
                or str(directory / candidate) in self._reserved
            ):
                return False  # another file finishing now has chosen it (or its receipts' name)
            if companion is not None:
                pair = _companion_target(directory / candidate, companion)
                if pair.exists() or str(pair) in self._reserved:
                    return False
            path = receipts_dir / f"{candidate}.receipt.json"
            return not path.exists() or loads(path.read_text("utf-8")).get("file_id") == file_id

        return free_name(directory, fit_name(name), free)

    def _reservation(self, file: FileRecord, target: Path) -> list[str]:
        """What a file finishing as `target` holds until its answers are written: the name, its
        receipts' name and its companion's."""
        held = [str(target), str(self.settings.outbox_of(file.tenant) / "receipts" / target.name)]
        if file.companion is not None:
            held.append(str(_companion_target(target, file.companion)))
        return held

    # --- recovery and retry --------------------------------------------------------------

    def recover(self) -> None:
        """After a crash: adopt unrecorded work files, re-read claimed ones, finish finished ones."""
        self.adopt_work_files()
        for file in self.ledger.files([FileState.CLAIMED]):
            self._ingest(file.id)
        self.finish_pending()
        remove_stale_temporaries(self.settings.outbox)

    def adopt_work_files(self) -> None:
        """Files in the work area that the ledger does not know (a crash between the claim's
        rename and its record) are recorded as claimed."""
        known = self.ledger.unfinished_work_paths()  # one query; each path not among them is asked for
        for tenant in self.settings.tenants:
            folder = self.work / tenant.name
            for path in sorted(folder.iterdir()) if folder.is_dir() else ():
                if path.name.startswith(".") or str(path) in known:
                    continue
                if self.ledger.file_by_work_path(path) is not None:
                    continue
                if COMPANION in path.name:
                    continue  # adopted with its main file
                name = path.name.split("-", 1)[1] if "-" in path.name else path.name
                digest, size = _sha256(path)
                companion = next(folder.glob(f"{glob.escape(path.name)}{COMPANION}*"), None)
                self.ledger.add_file(tenant.name, name, digest, size, path, companion=companion)
                log.info("recovered %s from the work area", name)

    def _reopen(self, files: Iterable[FileRecord | int]) -> list[int]:
        """Take failed files back from outbox/failed/ and queue again what did not go through;
        answers the ids that were taken back."""
        taken = []
        fetched: set[str] = set()
        for item in files:
            file = self.ledger.file(item if isinstance(item, int) else item.id)
            if not file.state.retryable:
                continue
            try:
                if self._reopen_one(file, fetched):
                    taken.append(file.id)
            except (OSError, ValueError, KeyError) as exc:  # one file must not stop the others
                log.error("%s cannot be retried: %s", file.name, exc)
        return taken

    def _reopen_one(self, file: FileRecord, fetched: set[str]) -> bool:
        """Take one failed file back; answers whether it was (one made in code is not)."""
        failed = [d for d in self.ledger.documents_of(file.id) if d.state == DocumentState.FAILED]
        unsent = [d for d in failed if not self.ledger.steps(d.id)]
        if file.work_path is None and (unsent or not failed):
            log.warning("%s was made in code and cannot be read again; make it anew", file.name)
            return False
        outcome = file.outcome_path
        if outcome is not None and outcome.exists() and file.work_path is not None:
            if file.companion is not None:
                kept = _companion_target(outcome, file.companion)
                if kept.exists():
                    move_file(kept, file.companion)
            move_file(outcome, file.work_path)
        if outcome is not None:
            outcome.with_name(outcome.name + ".error.txt").unlink(missing_ok=True)
        if unsent or not failed:  # to be judged again: the person says it is fixed in Fortnox now
            self._fresh_registers(file.tenant, fetched)
        if not failed:  # refused as a whole: read it again from the start
            self.ledger.reopen_file(file.id, reread=True)
            self._ingest(file.id)
            return True
        self.ledger.reopen_file(file.id, reread=False)
        if unsent:  # refused before sending (settings, registers): plan those again
            planned = self._plan(file.tenant, self._read(file), may_wait=False, file=file)
            plans = planned[1] if planned else []
            by_key = {(p.key.kind, p.key.source_key): p for p in plans}
            for document in unsent:
                plan = by_key.get((document.kind, document.source_key))
                if plan is not None:
                    self._keep_files(file.tenant, [plan])
                    self.ledger.replan(document.id, plan)
        unsent_ids = {d.id for d in unsent}
        self.ledger.requeue([d.id for d in failed if d.id not in unsent_ids])
        self.finalize_if_complete(file.id)
        return True

    def _fresh_registers(self, tenant: str, fetched: set[str]) -> None:
        """A retry judges again against registers fetched now, once per company."""
        if tenant not in fetched:
            self.registers.forget_freshness(tenant)
            self.registers.refresh(tenant)
            fetched.add(tenant)


def project_from_plain(plain: dict[str, Any]) -> Project:
    values = dict(plain)
    for name in ("start_date", "end_date"):
        values[name] = date.fromisoformat(values[name]) if values.get(name) else None
    return Project(**values)


def _remove_done_marker(path: Path) -> None:
    """`X.done` beside `X` is spent once `X` is taken (a name too long for `.done` has none)."""
    try:
        path.with_name(path.name + ".done").unlink(missing_ok=True)
    except OSError as exc:
        if exc.errno != errno.ENAMETOOLONG:
            raise


def _companion_target(target: Path, companion: Path) -> Path:
    """`outbox/archive/faktura.xml` → `outbox/archive/faktura.pdf`: the pair stays a pair."""
    return target.with_name(target.stem + companion.suffix)


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size

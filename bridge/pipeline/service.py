"""The bridge at work: claim a file, read and plan it, queue it, send it, answer in `outbox/`.

`Bridge` owns the ledger and the work area; `watch`, `process` and `retry` are thin loops
over its methods. Each step commits to the ledger before the next one starts, so a crash at
any point resumes where it stopped (`recover`).
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bridge.config import Settings
from bridge.fortnox import FortnoxClient, FortnoxError
from bridge.importers import IMPORTERS, FileSource, extract_file
from bridge.masterdata import MasterData, fetch_master_data, load_master_data, save_master_data
from bridge.model import Extraction, Problem
from bridge.pipeline import receipts
from bridge.pipeline.executor import Executor, Outcome, backoff_seconds
from bridge.pipeline.filestore import FileStore
from bridge.pipeline.ledger import Ledger, now_iso
from bridge.planner import DocumentPlan, needs_master_data, plan_extraction
from bridge.util import atomic_write, free_name, loads, move_file, remove_stale_temporaries

__all__ = ["Bridge"]

log = logging.getLogger("bridge")

MASTER_DATA_FRESH_SECONDS = 60.0
OWN_BACKOFF_AFTER = 3  # transient failures in a row before a document waits on its own

COMPANION = ".companion"  # marks a companion's name in the work area

OUTBOX_FOLDERS = {"done": "archive", "partial": "failed", "failed": "failed", "duplicate": "duplicates"}


class Bridge:
    def __init__(
        self,
        settings: Settings,
        clients: dict[str, FortnoxClient] | None = None,
        importers=IMPORTERS,
    ) -> None:
        self.settings = settings
        self.clients = clients or {}
        self.importers = importers
        self.work = settings.state_dir / "work"
        self.work.mkdir(parents=True, exist_ok=True)
        self.ledger = Ledger(settings.state_dir / "ledger.sqlite3")
        self.files = FileStore(settings.state_dir / "attachments")
        self.executor = Executor(self.ledger, self.files)
        self._failures: dict[str, int] = {}  # transient failures in a row, per tenant
        self._paused_until: dict[str, float] = {}
        self._master: dict[str, MasterData | None] = {}
        self._master_fetched: dict[str, float] = {}
        self._finalize_lock = threading.Lock()

    # --- claiming ------------------------------------------------------------------------

    def claim(
        self, path: Path, tenant: str, *, copy: bool = False, companion: Path | None = None
    ) -> int | None:
        """Take `path` into the work area (atomic rename; `copy` leaves the original alone),
        with its `companion` (the invoice's PDF beside its XML) when it has one.

        Answers the ledger id, or None when the file vanished before we could take it.
        """
        if path.is_symlink():
            return self._refuse(path, tenant, "the file is a symbolic link; the bridge only takes real files")
        if not os.access(path, os.R_OK):
            # Leave it where people can see it; it is taken as soon as it can be read.
            if self.ledger.notice(f"unreadable:{path}", f"cannot read {path}: permission denied", tenant):
                log.error(
                    "cannot read %s (permission denied); it stays in the inbox until it can be read", path
                )
            return None
        self.ledger.clear_notice(f"unreadable:{path}")
        work_path = self._work_path(tenant, path.name)
        try:
            if copy:
                shutil.copyfile(path, work_path)
            else:
                os.rename(path, work_path)
        except FileNotFoundError:
            return None
        path.with_name(path.name + ".done").unlink(missing_ok=True)
        origin = self._origin(path, tenant)
        companion_work = self._claim_companion(companion, work_path, copy) if companion else None
        try:
            digest, size = _sha256(work_path)
        except OSError as exc:
            file_id = self.ledger.add_file(tenant, path.name, "-", 0, work_path, origin=origin)
            self._fail_unread(file_id, f"the file cannot be read: {exc.strerror or exc}")
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
        companion.with_name(companion.name + ".done").unlink(missing_ok=True)
        return target

    def _work_path(self, tenant: str, name: str) -> Path:
        folder = self.work / tenant
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{uuid.uuid4().hex[:12]}-{name}"

    def _refuse(self, path: Path, tenant: str, reason: str) -> int:
        work_path = self._work_path(tenant, path.name)
        os.rename(path, work_path)  # moves the link itself, never what it points to
        file_id = self.ledger.add_file(tenant, path.name, "-", 0, work_path)
        self._fail_unread(file_id, reason)
        return file_id

    def _fail_unread(self, file_id: int, reason: str) -> None:
        problem = Problem(reason, hint="put the file itself into the inbox", code="file.unreadable")
        self.ledger.fail_file(file_id, "", {}, [problem], reason)
        self.finalize(file_id)

    # --- reading and queueing ------------------------------------------------------------

    def ingest(self, file_id: int) -> None:
        """Read, validate and plan a claimed file; queue its documents. Needs no network."""
        row = self.ledger.file(file_id)
        if row["state"] != "claimed":
            return  # refused at claim time, or read already
        earlier = self.ledger.earlier_copy(file_id)
        if earlier is not None:
            self.ledger.update_file(file_id, state="duplicate", duplicate_of=earlier["id"])
            log.info("%s has the same content as %s: nothing sent", row["name"], earlier["name"])
            self.finalize(file_id)
            return
        try:
            extraction, plans = self._read_and_plan(row)
        except Exception as exc:  # an importer bug must not take the bridge down
            log.exception("reading %s failed", row["name"])
            problem = Problem(
                f"the bridge could not read this file: {type(exc).__name__}: {exc}", code="internal"
            )
            self.ledger.fail_file(file_id, "", {}, [problem], str(problem.message))
            self.finalize(file_id)
            return
        if extraction.errors or not plans:
            problems = list(extraction.problems)
            if not extraction.errors:
                problems.append(Problem("the file holds nothing to send to Fortnox", code="file.empty"))
            first = next((p for p in problems if p.is_error), problems[0])
            self.ledger.fail_file(file_id, extraction.importer, extraction.facts, problems, first.message)
            log.info("%s refused: %s", row["name"], first.message)
            self.finalize(file_id)
            return
        self._keep_files(row["tenant"], plans)
        warnings = tuple(p for plan in plans for p in plan.problems if not p.is_error)
        problems = (*extraction.problems, *warnings)
        self.ledger.queue(file_id, extraction.importer, extraction.facts, problems, plans)
        log.info("%s: %d document(s) queued", row["name"], len(plans))
        self.finalize_if_complete(file_id)

    def _keep_files(self, tenant: str, plans: Iterable[DocumentPlan]) -> None:
        """The bytes a plan uploads are ours before the document can run."""
        for plan in plans:
            for attachment in plan.files:
                self.files.put(tenant, attachment.data)

    def _release_files(self, document: Any) -> None:
        """Uploaded bytes are dropped from the store once no unfinished document needs them."""
        for row in self.ledger.steps(document["id"]):
            upload = loads(row["spec"]).get("file")
            if upload and not self.ledger.uploads_pending(document["tenant"], upload["sha256"]):
                self.files.discard(document["tenant"], upload["sha256"])

    def _read_and_plan(self, row: Any) -> tuple[Extraction, list[DocumentPlan]]:
        tenant = self.settings.tenant(row["tenant"])
        source = FileSource.open(
            Path(row["work_path"]),
            name=row["name"],
            tenant=tenant.name,
            origin=row["origin"] or row["name"],
            companion=Path(row["companion"]) if row["companion"] else None,
        )
        extraction = extract_file(source, self.importers)
        if extraction.errors:
            return extraction, []
        needs_master = needs_master_data(extraction)
        master = self.master_data(tenant.name) if needs_master else None
        planned, plans = plan_extraction(extraction, tenant, master)
        doubted = planned.errors or any(p.problems for p in plans)
        if needs_master and doubted and self._master_is_old(tenant.name):
            # Judged against registers that may have changed since: look again before refusing.
            master = self.master_data(tenant.name, refresh=True)
            planned, plans = plan_extraction(extraction, tenant, master)
        return planned, plans

    # --- master data ---------------------------------------------------------------------

    def master_data(self, tenant: str, *, refresh: bool = False) -> MasterData | None:
        """The company's registers: cached, or fetched when asked to (or never fetched)."""
        cached = self._master.get(tenant)
        if cached is None:
            cached = self._master[tenant] = load_master_data(self.settings.state_dir, tenant)
        if (refresh or cached is None) and tenant in self.clients:
            try:
                fresh = fetch_master_data(self.clients[tenant])
            except FortnoxError as error:
                log.info("master data of %s not refreshed: %s", tenant, error)
                return cached
            save_master_data(self.settings.state_dir, tenant, fresh)
            self._master[tenant] = fresh
            self._master_fetched[tenant] = time.monotonic()
            return fresh
        return cached

    def _master_is_old(self, tenant: str) -> bool:
        return time.monotonic() - self._master_fetched.get(tenant, -1e9) > MASTER_DATA_FRESH_SECONDS

    # --- sending -------------------------------------------------------------------------

    def run_next(self, tenant: str) -> tuple[Outcome | None, float | None]:
        """Run the oldest due document of `tenant`; answers its outcome and, when nothing ran
        or it must wait, when to look again."""
        paused_until = self._paused_until.get(tenant, 0.0)
        if time.time() < paused_until:
            return None, paused_until
        document, later = self.ledger.next_due(tenant)
        if document is None:
            return None, later
        outcome = self.executor.run(self.clients[tenant], document)
        if outcome.state == "later":
            return outcome, self._wait_after_failure(tenant, document, outcome)
        self._failures[tenant] = 0
        self.ledger.tenant_reachable(tenant)
        if outcome.state == "failed":
            log.warning("%s %s failed: %s", document["kind"], document["source_key"], outcome.error)
        else:
            log.info("%s %s: done", document["kind"], document["source_key"])
            self._release_files(document)
        self.finalize_if_complete(document["file_id"])
        return outcome, None

    def _wait_after_failure(self, tenant: str, document: Any, outcome: Outcome) -> float:
        """Transient trouble (an outage, a 5xx, a 429) is the tenant's: all of its documents
        wait, so that when Fortnox answers again they go in arrival order. A document that keeps
        failing while others might not gets a backoff of its own, so it cannot block the rest."""
        failures = self._failures[tenant] = self._failures.get(tenant, 0) + 1
        resume = time.time() + backoff_seconds(failures)
        self._paused_until[tenant] = resume
        own = document["failures"] + 1
        own_wait = time.time() + backoff_seconds(own) if own >= OWN_BACKOFF_AFTER else 0.0
        self.ledger.document_later(document["id"], outcome.error, own_wait)
        if outcome.unreachable:
            self.ledger.tenant_unreachable(tenant, outcome.error)
        log.warning("%s %s: will retry: %s", document["kind"], document["source_key"], outcome.error)
        return resume

    def drain(self, tenant: str, *, until_blocked: bool = True) -> None:
        """Send what is queued for `tenant`, waiting out backoffs; with `until_blocked`, give up
        as soon as Fortnox is unreachable (the documents stay queued for `watch`)."""
        while True:
            outcome, later = self.run_next(tenant)
            if outcome is not None and outcome.state != "later":
                continue
            if later is None or (until_blocked and outcome is not None and outcome.unreachable):
                return
            time.sleep(min(max(later - time.time(), 0.01), 1.0))

    # --- finishing -----------------------------------------------------------------------

    def finalize_if_complete(self, file_id: int) -> None:
        if self.ledger.documents_finished(file_id):
            self.finalize(file_id)

    def finalize(self, file_id: int) -> bool:
        """Write the receipt (and error report), move the original to its outbox folder, and
        record it. Safe to repeat: a crash half-way is finished by the next call. When
        outbox/ cannot be written (permissions, a full disk) the original stays in the work
        area, `status` says why, and `finish_pending` completes it later."""
        try:
            self._finalize(file_id)
        except OSError as exc:
            message = f"cannot write the answer in {self.settings.outbox}: {exc.strerror or exc}"
            if self.ledger.notice("outbox", message):
                log.error("%s; nothing is lost, it is written once the outbox can be written again", message)
            return False
        self.ledger.clear_notice("outbox")
        return True

    def finish_pending(self) -> None:
        for row in self.ledger.unfinished_files():
            if not self.finalize(row["id"]):
                return

    def _finalize(self, file_id: int) -> None:
        with self._finalize_lock:
            row = self.ledger.file(file_id)
            documents = self.ledger.documents_of(file_id)
            state = row["state"] if row["state"] in ("failed", "duplicate") else _file_state(documents)
            companion = Path(row["companion"]) if row["companion"] else None
            if row["outcome_path"]:
                target = Path(row["outcome_path"])
            else:
                target = self._choose_target(file_id, row["name"], OUTBOX_FOLDERS[state], companion)
                self.ledger.update_file(file_id, outcome_path=str(target))
            receipt = receipts.build_receipt(self.ledger, self.settings.outbox, file_id, state, target)
            receipts_dir = self.settings.outbox / "receipts"
            atomic_write(receipts_dir / f"{target.name}.receipt.json", receipts.render_receipt_json(receipt))
            atomic_write(receipts_dir / f"{target.name}.receipt.txt", receipts.render_receipt_text(receipt))
            if state in ("failed", "partial"):
                atomic_write(
                    target.with_name(target.name + ".error.txt"), receipts.render_error_report(receipt)
                )
            work_path = Path(row["work_path"])
            if companion is not None and companion.exists():  # the PDF travels with its XML
                move_file(companion, _companion_target(target, companion))
            if work_path.exists() or work_path.is_symlink():
                move_file(work_path, target)
            self.ledger.update_file(file_id, state=state, finished_at=now_iso())
            log.info("%s: %s → %s", row["name"], state, target.relative_to(self.settings.outbox.parent))

    def _choose_target(self, file_id: int, name: str, folder: str, companion: Path | None = None) -> Path:
        """A name free in the target folder whose receipt name is free too (or already ours,
        when a retried file finishes again), and its companion's name as well."""
        receipts_dir = self.settings.outbox / "receipts"
        directory = self.settings.outbox / folder

        def free(candidate: str) -> bool:
            if companion is not None and _companion_target(directory / candidate, companion).exists():
                return False
            path = receipts_dir / f"{candidate}.receipt.json"
            return not path.exists() or loads(path.read_text("utf-8")).get("file_id") == file_id

        return free_name(directory, name, free)

    # --- recovery and retry --------------------------------------------------------------

    def recover(self) -> None:
        """After a crash: adopt unrecorded work files, re-read claimed ones, finish finished ones."""
        for tenant in self.settings.tenants:
            folder = self.work / tenant.name
            for path in sorted(folder.iterdir()) if folder.is_dir() else ():
                if path.name.startswith(".") or self.ledger.file_by_work_path(path) is not None:
                    continue
                if COMPANION in path.name:
                    continue  # adopted with its main file
                name = path.name.split("-", 1)[1] if "-" in path.name else path.name
                digest, size = _sha256(path)
                companion = next(folder.glob(f"{glob.escape(path.name)}{COMPANION}*"), None)
                self.ledger.add_file(tenant.name, name, digest, size, path, companion=companion)
                log.info("recovered %s from the work area", name)
        for row in self.ledger.files(["claimed"]):
            self.ingest(row["id"])
        self.finish_pending()
        remove_stale_temporaries(self.settings.outbox)

    def retry(self, file_ids: Iterable[int]) -> list[int]:
        """Send again what failed in these files; answers the ids that were taken back."""
        taken = []
        for file_id in file_ids:
            row = self.ledger.file(file_id)
            if row["state"] not in ("failed", "partial"):
                continue
            outcome = Path(row["outcome_path"]) if row["outcome_path"] else None
            if outcome is not None and outcome.exists():
                if row["companion"]:
                    kept = _companion_target(outcome, Path(row["companion"]))
                    if kept.exists():
                        move_file(kept, Path(row["companion"]))
                move_file(outcome, Path(row["work_path"]))
                outcome.with_name(outcome.name + ".error.txt").unlink(missing_ok=True)
            failed = [d for d in self.ledger.documents_of(file_id) if d["state"] == "failed"]
            self.ledger.update_file(file_id, outcome_path=None, finished_at=None)
            self._master_fetched.pop(row["tenant"], None)  # the person says it is fixed now
            if not failed:  # refused as a whole: read it again from the start
                self.ledger.update_file(file_id, state="claimed", problems=None, error=None)
                self.ingest(file_id)
                taken.append(file_id)
                continue
            unsent = [d for d in failed if not self.ledger.steps(d["id"])]
            if unsent:  # refused before sending (settings, registers): plan those again
                _, plans = self._read_and_plan(row)
                by_key = {(p.key.kind, p.key.source_key): p for p in plans}
                for document in unsent:
                    plan = by_key.get((document["kind"], document["source_key"]))
                    if plan is not None:
                        self._keep_files(row["tenant"], [plan])
                        self.ledger.replan(document["id"], plan)
            unsent_ids = {d["id"] for d in unsent}
            self.ledger.requeue([d["id"] for d in failed if d["id"] not in unsent_ids])
            self.ledger.update_file(file_id, state="queued")
            self.finalize_if_complete(file_id)
            taken.append(file_id)
        return taken

    def close(self) -> None:
        self.ledger.close()


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


def _file_state(documents: list[Any]) -> str:
    states = {d["state"] for d in documents}
    if "failed" in states:
        return "partial" if "done" in states else "failed"
    return "done"

"""`export masterdata`: Fortnox's registers as files a mirroring system reads, and what changed.

Each register is written to `outbox/exports/masterdata/<company>/` as `<register>.csv` (`;`,
UTF-8 with BOM, formulas defused) and `<register>.json` (every field, amounts as exact
numbers), whole and renamed into place, and only when it changed. Beside them, when anything
changed since the last export, `changes-<time>.json` lists per register what was added, what
was changed (field by field, before and after) and what was removed; the first export lists
everything as added, so a mirror can start from the changes files alone.

The last export is kept in the state folder (`exports/masterdata-<company>.json`): the changes
are computed against it, and it says from when to ask Fortnox's `lastmodified` filter. It is
replaced only after the files are written, so a crash means the next run reports the same
changes again (a mirror applies them by key, so twice is harmless), never that a change is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bridge.exporters.registers import REGISTERS, Register
from bridge.fortnox import FortnoxClient, FortnoxError
from bridge.util import atomic_write, dumps, loads
from bridge.util.csvsafe import render_csv

__all__ = ["MasterDataExport", "RegisterChanges", "diff_register", "export_masterdata"]

log = logging.getLogger("bridge.export")

LASTMODIFIED = "%Y-%m-%d %H:%M"  # the minute, as Fortnox's filter takes it
# Asked from a little before the last export began, so that a clock a few minutes off Fortnox's
# costs a few records read again rather than a change missed.
CLOCK_MARGIN = timedelta(minutes=5)

Records = dict[str, dict[str, Any]]  # a register's records by key
Progress = Callable[[str], None]


@dataclass(frozen=True)
class RegisterChanges:
    added: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(
        default_factory=list
    )  # {"key": {…}, "fields": {F: {before, after}}}
    removed: list[dict[str, Any]] = field(default_factory=list)  # {"key": {…}}

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def to_json(self) -> dict[str, Any]:
        return {"added": self.added, "changed": self.changed, "removed": self.removed}


@dataclass
class MasterDataExport:
    tenant: str
    folder: Path
    counts: dict[str, int] = field(default_factory=dict)  # records per register exported
    changes: dict[str, RegisterChanges] = field(default_factory=dict)
    changes_path: Path | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # register -> why Fortnox refused it
    since: str | None = None  # the last export's time, or None for a first (or --full) export

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "folder": str(self.folder),
            "registers": self.counts,
            "changes": {
                name: {k: len(v) for k, v in c.to_json().items()} for name, c in self.changes.items() if c
            },
            "changes_file": str(self.changes_path) if self.changes_path else None,
            "skipped": self.skipped,
            "since": self.since,
        }


def export_masterdata(
    client: FortnoxClient,
    tenant: str,
    outbox: Path,
    state_dir: Path,
    *,
    registers: Sequence[str] | None = None,
    full: bool = False,
    now: datetime | None = None,
    progress: Progress = lambda _: None,
) -> MasterDataExport:
    """Export `registers` (all by default); `full` reads every record again instead of only
    what `lastmodified` says changed (the changes are still against the last export)."""
    now = now or datetime.now().astimezone()
    chosen = [r for r in REGISTERS if registers is None or r.name in registers]
    state_path = state_dir / "exports" / f"masterdata-{tenant}.json"
    previous: dict[str, Any] = (
        loads(state_path.read_text(encoding="utf-8")) if state_path.exists() else {"registers": {}}
    )
    folder = outbox / "exports" / "masterdata" / tenant
    result = MasterDataExport(tenant, folder, since=None if full else previous.get("exported_at"))
    kept = dict(previous["registers"])
    year_ids: list[int] | None = None
    for register in chosen:
        before = previous["registers"].get(register.name)
        since = None if full or before is None else before.get("lastmodified")
        try:
            if register.per_year and year_ids is None:
                year_ids = [int(y["Id"]) for y in client.iter_pages("/3/financialyears", "FinancialYears")]
            records = _read_register(
                client, register, (before or {}).get("records", {}), since, year_ids or [], progress
            )
        except FortnoxError as error:
            if error.transient:
                raise  # Fortnox is away or slow: the whole export waits for the next run
            result.skipped[register.name] = error.message
            progress(f"{register.name}: not exported: {error}")
            continue
        if register.name == "financialyears":
            year_ids = [int(r["Id"]) for r in records.values()]  # the accounts' years, without asking again
        changes = diff_register(register, (before or {}).get("records", {}), records)
        result.counts[register.name] = len(records)
        result.changes[register.name] = changes
        if changes or not (folder / f"{register.name}.json").exists():
            _write_register(folder, register, records)
        kept[register.name] = {
            "lastmodified": (now - CLOCK_MARGIN).strftime(LASTMODIFIED),
            "records": records,
        }
        progress(_summary(register.name, len(records), changes))
    if any(result.changes.values()):
        result.changes_path = _write_changes(folder, tenant, now, result)
    document = {"exported_at": now.isoformat(timespec="seconds"), "registers": kept}
    atomic_write(state_path, dumps(document) + "\n")  # last: a crash before repeats this export
    return result


def _read_register(
    client: FortnoxClient,
    register: Register,
    before: Records,
    since: str | None,
    year_ids: list[int],
    progress: Progress,
) -> Records:
    rows = [
        row
        for params in ([{"financialyear": y} for y in year_ids] if register.per_year else [{}])
        for row in client.iter_pages(register.path, register.collection, **params)
    ]
    if not register.singular:
        return _ordered({_key(register, r): _clean(register, r) for r in rows})
    # The list names every record (and so every removal); details only for what is new or changed.
    keys = [_key(register, r) for r in rows]
    if since is not None and register.lastmodified:
        changed = {
            _key(register, r)
            for r in client.iter_pages(register.path, register.collection, lastmodified=since)
        }
        wanted = [k for k in keys if k in changed or k not in before]
    else:
        wanted = keys
    if wanted:
        progress(f"{register.name}: reading {len(wanted):,} record(s) one by one …")
    records = {k: before[k] for k in keys if k not in wanted}
    for number, key in enumerate(wanted, 1):
        try:
            answer = client.get(f"{register.path}/{quote(key, safe='')}")
        except FortnoxError as error:
            if error.status == 404:
                continue  # removed since the list was read
            raise
        records[key] = _clean(register, answer[register.singular])
        if number % 100 == 0:
            progress(f"{register.name}: {number:,} of {len(wanted):,} read")
    return _ordered(records)


def _ordered(records: Records) -> Records:
    """By key, numbers as numbers (year 10 after year 9, customer 1000 after 999)."""

    def parts(key: str) -> tuple[tuple[int, int | str], ...]:
        return tuple((0, int(p)) if p.isdigit() else (1, p) for p in key.split(":"))

    return dict(sorted(records.items(), key=lambda item: parts(item[0])))


def _key(register: Register, record: dict[str, Any]) -> str:
    return ":".join(str(record.get(k, "")) for k in register.key)


def _clean(register: Register, record: dict[str, Any]) -> dict[str, Any]:
    cleaned = {k: v for k, v in record.items() if not k.startswith("@") and k not in register.volatile}
    for name in register.money:
        value = cleaned.get(name)
        if value not in (None, ""):
            cleaned[name] = Decimal(str(value))
    return cleaned


def diff_register(register: Register, before: Records, after: Records) -> RegisterChanges:
    changes = RegisterChanges()
    for key, record in after.items():
        old = before.get(key)
        if old is None:
            changes.added.append(record)
            continue
        fields = {
            name: {"before": old.get(name), "after": record.get(name)}
            for name in sorted(set(old) | set(record))
            if old.get(name) != record.get(name)
        }
        if fields:
            changes.changed.append({"key": _key_fields(register, record), "fields": fields})
    changes.removed.extend(
        {"key": _key_fields(register, old)} for key, old in before.items() if key not in after
    )
    return changes


def _key_fields(register: Register, record: dict[str, Any]) -> dict[str, Any]:
    return {k: record.get(k) for k in register.key}


def _write_register(folder: Path, register: Register, records: Records) -> None:
    rows: Iterable[list[Any]] = ([record.get(c) for c in register.columns] for record in records.values())
    atomic_write(folder / f"{register.name}.csv", render_csv(register.columns, rows))
    document = {"register": register.name, "key": list(register.key), "records": list(records.values())}
    atomic_write(folder / f"{register.name}.json", dumps(document, indent=2) + "\n")


def _write_changes(folder: Path, tenant: str, now: datetime, result: MasterDataExport) -> Path:
    stamp = now.strftime("%Y%m%d-%H%M%S")
    path, n = folder / f"changes-{stamp}.json", 1
    while path.exists():  # two exports in one second: neither file is overwritten
        n += 1
        path = folder / f"changes-{stamp}-{n}.json"
    document = {
        "tenant": tenant,
        "exported_at": now.isoformat(timespec="seconds"),
        "since": result.since,
        "registers": {name: c.to_json() for name, c in result.changes.items() if c},
    }
    atomic_write(path, dumps(document, indent=2) + "\n")
    return path


def _summary(name: str, count: int, changes: RegisterChanges) -> str:
    if not changes:
        return f"{name}: {count:,} record(s), unchanged"
    parts = [f"{len(v)} {k}" for k, v in changes.to_json().items() if v]
    return f"{name}: {count:,} record(s), {', '.join(parts)}"

"""Writing a connected company into `bridge.toml`, leaving everything else as the person wrote it.

`connect` records the company it found (TenantId, name, organisation number) under
`[tenants.NAME.fortnox]`, or under `[fortnox]` for a bridge that serves one company. The file
is edited with tomlkit, which keeps comments, order and formatting of every other line, and
is replaced whole (write, fsync, rename): a bridge starting meanwhile reads the old file or
the new one.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import Table

from bridge.util import AtomicFile

__all__ = ["forget_tenant_id", "record_tenant"]


def record_tenant(
    path: Path, tenant: str | None, *, tenant_id: str, company: str, organisation_number: str
) -> None:
    """Set the company of `tenant` (None: the only company, in `[fortnox]`); the file and the
    tables are created when missing."""
    document = _read(path)
    section = _fortnox_section(document, tenant, create=True)
    assert section is not None
    section["tenant_id"] = tenant_id
    section["company"] = company
    section["organisation_number"] = organisation_number
    _write(path, document)


def forget_tenant_id(path: Path, tenant: str | None) -> bool:
    """Remove the TenantId of `tenant` (its name and number stay, for people); answers whether
    there was one."""
    if not path.exists():
        return False
    document = _read(path)
    section = _fortnox_section(document, tenant, create=False)
    if section is None or "tenant_id" not in section:
        return False
    del section["tenant_id"]
    _write(path, document)
    return True


def _write(path: Path, document: tomlkit.TOMLDocument) -> None:
    """Replace the file whole, keeping its permissions (a new file is readable like any other)."""
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644
    with AtomicFile(path) as pending:
        pending.handle.write(tomlkit.dumps(document).encode("utf-8"))
        os.fchmod(pending.handle.fileno(), mode)
        pending.commit()


def _read(path: Path) -> tomlkit.TOMLDocument:
    return tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()


def _fortnox_section(document: Any, tenant: str | None, *, create: bool) -> Any:
    """`[fortnox]`, or `[tenants.NAME.fortnox]`: the table to write the company into."""
    parent = document
    if tenant is not None:
        for key in ("tenants", tenant):
            child = parent.get(key)
            if child is None:
                if not create:
                    return None
                # a "super table" has no header of its own: `[tenants.bygg.fortnox]` alone
                child = parent[key] = tomlkit.table(is_super_table=True)
            parent = child
    section = parent.get("fortnox")
    if section is None and create:
        section = parent["fortnox"] = tomlkit.table()
    if section is not None and not isinstance(section, Table | dict):
        raise ValueError(f"'fortnox' in {tenant or 'the file'} is not a table")
    return section

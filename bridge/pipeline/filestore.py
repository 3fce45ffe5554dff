"""Files the bridge will upload to Fortnox, kept by content until they are sent.

A document's attachments are written here when it is queued, under
`.bridge/attachments/<tenant>/<sha256>`, so an upload after a crash or an outage sends the
same bytes the file held, whatever happens to the file itself. Names never come from the input.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from bridge.util import atomic_write
from bridge.util.i18n import N_

__all__ = ["FileStore", "MissingFile"]


class MissingFile(Exception):
    """The bytes a plan wants to upload are not in the store (deleted by hand, or damaged)."""


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, tenant: str, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.root / tenant / sha256

    def put(self, tenant: str, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(tenant, digest)
        if not path.exists():
            atomic_write(path, data)
        return digest

    def get(self, tenant: str, sha256: str) -> bytes:
        path = self._path(tenant, sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise MissingFile(
                N_("the file to upload is missing from %(folder)s") % {"folder": path.parent}
            ) from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise MissingFile(
                N_("the file to upload at %(path)s is damaged (its content changed)") % {"path": path}
            )
        return data

    def discard(self, tenant: str, sha256: str) -> None:
        self._path(tenant, sha256).unlink(missing_ok=True)

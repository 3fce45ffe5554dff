"""Which keys a stream has seen, in 16 bytes a key: a file of millions of vouchers is checked
for repeated voucher numbers without keeping millions of strings.

Each key is kept as a 64-bit BLAKE2b digest in an open-addressing table (an `array` of
unsigned 64-bit slots, at most half full). Two different keys share a digest with a chance of
about n²/2⁶⁵ (10⁻⁷ for 1.5 million vouchers); counts above one, rare, live in a small dict.
"""

from __future__ import annotations

import hashlib
from array import array

__all__ = ["SeenKeys"]

_EMPTY = 0


class SeenKeys:
    def __init__(self, capacity: int = 1 << 12) -> None:
        self._slots = array("Q", bytes(8 * capacity))
        self._used = 0
        self._repeats: dict[int, int] = {}

    def add(self, key: str) -> int:
        """Count `key` once more; answers how often it has been seen, this time included."""
        digest = int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest())
        digest = digest or 1  # 0 marks an empty slot
        if self._insert(digest):
            return 1
        count = self._repeats.get(digest, 1) + 1
        self._repeats[digest] = count
        return count

    def _insert(self, digest: int) -> bool:
        slots = self._slots
        mask = len(slots) - 1
        index = digest & mask
        while True:
            held = slots[index]
            if held == digest:
                return False
            if held == _EMPTY:
                slots[index] = digest
                self._used += 1
                if 2 * self._used > len(slots):
                    self._grow()
                return True
            index = (index + 1) & mask

    def _grow(self) -> None:
        old = self._slots
        self._slots = array("Q", bytes(16 * len(old)))
        self._used = 0
        for digest in old:
            if digest != _EMPTY:
                self._insert(digest)

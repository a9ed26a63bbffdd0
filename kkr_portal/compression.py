"""Gzip for a page cached whole with per-request slots: compressed once, filled per request.

A page cached whole (``pagecache.cached_page``) is the same bytes for every visitor of its key
but for a few slots: the request's CSRF token and path. Compressing it per response, as Django's
``GZipMiddleware`` would, costs 4 ms for the 224 KB print page, ten times what serving it costs;
sending it uncompressed costs the network, the server and the browser nine times the bytes.

So the text between the slots is deflated once, each piece ending on a byte boundary (a sync
flush), and each response puts its own slot values between the pieces as stored deflate blocks
(RFC 1951, 3.2.4). The gzip trailer needs the CRC-32 of the whole page: CRC-32 is linear, so
continuing a CRC over a known piece of ``n`` bytes is a fixed 32x32-bit matrix, kept as four byte
tables per piece, and a response costs a few table lookups instead of a pass over 224 KB.
zlib's ``crc32_combine`` does the same, but Python's zlib does not expose it.

Slot values are never compressed and are in no compressed piece's window, so no secret in a slot
(the CSRF token) can be read from the compressed length (BREACH). What is compressed must not
reflect what a request sent either, or the compressed length could tell an attacker whether their
guess matches the page's other text (contact details): ``pagecache.cached_page`` compresses only
pages asked for without a query string, whose text is the data's alone.
"""

from __future__ import annotations

import struct
import zlib
from array import array
from collections.abc import Sequence
from typing import NamedTuple

# ID1 ID2, deflate, no flags, no modification time, no extra flags, unknown OS (RFC 1952, 2.3).
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_STORED_MAX = 0xFFFF
_LEVEL = 6


class SlottedGzip(NamedTuple):
    """A page's gzip, but for its slots: ``fill`` makes the response body.

    A tuple of plain values, so that the cache pickles it and ``pagecache.LocalParts`` counts its
    size.
    """

    # The raw deflate stream of each piece of text: sync-flushed, the last one finished.
    deflated: tuple[bytes, ...]
    # Each piece's CRC-32, and four tables that carry a CRC over the piece (see _shift_tables).
    crcs: tuple[int, ...]
    shifts: tuple[tuple[array, ...], ...]
    # The text's length without the slots.
    length: int

    @classmethod
    def compress(cls, pieces: Sequence[bytes]) -> SlottedGzip:
        """The gzip of ``pieces``, the text around the slots (one more piece than slots)."""
        deflated = []
        for number, piece in enumerate(pieces):
            # A fresh compressor per piece: none refers back into a slot's value.
            compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
            last = number == len(pieces) - 1
            deflated.append(compressor.compress(piece) + compressor.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH))
        return cls(
            deflated=tuple(deflated),
            crcs=tuple(zlib.crc32(piece) for piece in pieces),
            # The first piece starts the CRC: nothing to carry over it.
            shifts=((), *(_shift_tables(len(piece)) for piece in pieces[1:])),
            length=sum(len(piece) for piece in pieces),
        )

    def fill(self, values: Sequence[bytes]) -> bytes:
        """The gzip of the page with ``values`` in its slots, in order."""
        if len(values) != len(self.deflated) - 1:
            raise ValueError(f"{len(self.deflated) - 1} slot values expected, {len(values)} given")
        crc, parts = self.crcs[0], [GZIP_HEADER, self.deflated[0]]
        for value, deflated, piece_crc, (t0, t1, t2, t3) in zip(
            values, self.deflated[1:], self.crcs[1:], self.shifts[1:], strict=True
        ):
            parts.append(_stored(value))
            parts.append(deflated)
            crc = zlib.crc32(value, crc)
            # crc32(piece, crc) == shift(crc) ^ crc32(piece): the piece itself is never read again.
            crc = t0[crc & 0xFF] ^ t1[(crc >> 8) & 0xFF] ^ t2[(crc >> 16) & 0xFF] ^ t3[crc >> 24] ^ piece_crc
        length = self.length + sum(len(value) for value in values)
        parts.append(struct.pack("<II", crc, length & 0xFFFFFFFF))
        return b"".join(parts)


def _stored(value: bytes) -> bytes:
    """``value`` as stored deflate blocks, not final (an empty value needs none)."""
    blocks = []
    for start in range(0, len(value), _STORED_MAX):
        chunk = value[start : start + _STORED_MAX]
        # BFINAL 0, BTYPE 00, padded to the byte (the flush before left us on a boundary); LEN, NLEN.
        blocks.append(struct.pack("<BHH", 0, len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    return b"".join(blocks)


def _shift_tables(length: int) -> tuple[array, array, array, array]:
    """Four byte tables whose lookups, XORed, give ``crc32(piece, crc) ^ crc32(piece)`` for any
    ``crc`` and any ``piece`` of ``length`` bytes: that difference depends on ``crc`` and the length
    alone, and is linear in ``crc`` (the CRC register of zeros, shifted ``length`` bytes)."""
    zeros = bytes(length)
    base = zlib.crc32(zeros)
    bits = [zlib.crc32(zeros, 1 << bit) ^ base for bit in range(32)]
    tables = []
    for byte in range(4):
        table = array("I", [0]) * 256
        for index in range(1, 256):
            lowest = index & -index
            table[index] = table[index ^ lowest] ^ bits[8 * byte + lowest.bit_length() - 1]
        tables.append(table)
    return tuple(tables)


def accepts_gzip(header: str) -> bool:
    """Whether an ``Accept-Encoding`` header allows gzip (RFC 9110, 12.5.3): by name (or its alias
    x-gzip), else by ``*``, with a weight above zero."""
    weights = {}
    for item in header.split(","):
        coding, *parameters = (part.strip().lower() for part in item.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        coding = "gzip" if coding == "x-gzip" else coding
        # A coding named twice (as gzip and x-gzip) counts at its best weight.
        weights[coding] = max(weight, weights.get(coding, 0.0))
    # No header at all would allow any coding (RFC 9110); identity is what every client reads.
    return weights.get("gzip", weights.get("*", 0.0)) > 0

"""Gzip of a page cached whole (kkr_portal.compression): the text around the slots is compressed
once; each response's own slot values go between the pieces uncompressed. What a browser inflates
is the page, checksum and length included, and the compressed length never depends on what is in
a slot (so a secret there cannot leak through it: BREACH)."""

from __future__ import annotations

import gzip
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kkr_portal.compression import SlottedGzip, accepts_gzip


def page_of(pieces: list[bytes], values: list[bytes]) -> bytes:
    return b"".join(piece + value for piece, value in zip(pieces, [*values, b""], strict=True))


@given(
    st.lists(st.binary(max_size=2000), min_size=1, max_size=5).flatmap(
        lambda pieces: st.tuples(
            st.just(pieces), st.lists(st.binary(max_size=300), min_size=len(pieces) - 1, max_size=len(pieces) - 1)
        )
    )
)
def test_the_filled_gzip_inflates_to_the_page_with_the_values_in_their_slots(pieces_and_values):
    pieces, values = pieces_and_values

    body = SlottedGzip.compress(pieces).fill(values)

    # gzip.decompress checks the trailer: the CRC-32 and the length of the whole page.
    assert gzip.decompress(body) == page_of(pieces, values)


def test_a_large_page_with_a_value_longer_than_one_stored_block_and_an_empty_one():
    pieces = [b"<html>" + b"<tr><td>Navn</td></tr>" * 10_000, b"<form>", b"</html>" * 3]
    values = [os.urandom(70_000), b""]  # a stored block holds at most 65,535 bytes

    compressed = SlottedGzip.compress(pieces)
    body = compressed.fill(values)

    assert gzip.decompress(body) == page_of(pieces, values)
    assert len(body) < len(pieces[0]) / 20 + 70_100


def test_the_compressed_length_depends_on_the_values_lengths_never_their_content():
    page = b"<p>csrfmiddlewaretoken aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</p>" * 200
    compressed = SlottedGzip.compress([page, page])

    # A value that repeats the page (which a compressor would shrink) against random bytes.
    echoing = compressed.fill([b"a" * 64])
    random = compressed.fill([os.urandom(64)])

    assert len(echoing) == len(random)
    assert b"a" * 64 in echoing  # stored as it is, in no compressed piece's window


def test_the_number_of_values_must_match_the_slots():
    compressed = SlottedGzip.compress([b"a", b"b", b"c"])

    with pytest.raises(ValueError, match="2 slot values expected, 1 given"):
        compressed.fill([b"x"])


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip, deflate, br, zstd", True),  # Chromium, Firefox
        ("gzip, deflate, br", True),  # Safari
        ("GZIP;q=0.5", True),
        ("x-gzip", True),
        ("*", True),
        ("br;q=1.0, *;q=0.1", True),
        ("*;q=0, gzip", True),  # named beats *
        ("x-gzip;q=0, gzip", True),  # named twice: the best weight
        ("gzip;q=0, *", False),
        ("gzip;q=0.000", False),
        ("gzip;q=nonsense", False),
        ("identity", False),
        ("br, zstd", False),
        ("", False),
    ],
)
def test_accept_encoding_is_read_by_name_then_star_with_its_weight(header, accepted):
    assert accepts_gzip(header) is accepted

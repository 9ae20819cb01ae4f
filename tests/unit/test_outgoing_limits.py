"""Telegram's limits where messages leave (handlers/outgoing.py): splitting and summarising text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.outgoing import split_text, summarise, utf16_len

# Lines of words, including astral characters (two UTF-16 units each), CJK, combining marks.
ALPHABET = st.sampled_from(["a", "Z", "7", " ", "\n", "é", "盘", "锦", "😀", "𠀀", "e\u0301", "/", ".", "…"])
TEXTS = st.lists(ALPHABET, max_size=900).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=TEXTS, limit=st.integers(min_value=2, max_value=120))
def test_every_part_fits_and_nothing_is_lost_but_whitespace_at_the_cuts(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(1 <= utf16_len(part) <= limit for part in parts) or parts == [text]
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


@settings(max_examples=300, deadline=None)
@given(text=TEXTS, limit=st.integers(min_value=2, max_value=120))
def test_a_summary_fits_and_begins_the_text(text: str, limit: int) -> None:
    short = summarise(text, limit)
    assert utf16_len(short) <= limit
    if short != text:
        assert short.endswith("…")
        assert "".join(text.split()).startswith("".join(short[:-1].split()))  # whitespace aside, its beginning


def test_lines_are_kept_whole_when_they_fit() -> None:
    lines = [f"{n:04d} " + "x" * 95 for n in range(100)]  # 100 lines of 100 characters
    parts = split_text("\n".join(lines), 4096)
    assert [len(part.split("\n")) for part in parts] == [40, 40, 20]  # 40 × 100 + 39 newlines ≤ 4096
    assert all(part.split("\n")[0].startswith(("0000", "0040", "0080")) for part in parts)


def test_a_link_is_not_cut() -> None:
    link = "https://meet.jit.si/tandem-" + "a" * 30
    text = "word " * 30 + link
    parts = split_text(text, 100)
    assert link in parts[-1]


def test_an_emoji_is_never_split_into_halves() -> None:
    text = "😀" * 3000  # 6,000 UTF-16 units
    parts = split_text(text, 4096)
    assert [utf16_len(p) for p in parts] == [4096, 1904]
    assert "".join(parts) == text


def test_a_summary_keeps_whole_lines() -> None:
    assert summarise("first line\nsecond line\nthird line", 25) == "first line\nsecond line…"
    assert summarise("short", 200) == "short"

"""Every text the bot shows exists in English, Chinese and German, with the same placeholders.

All features' catalogs of a language are merged (as ``bot.i18n`` merges them), and every module
that calls ``gettext``/``t``/``user_error`` is scanned, so a new text without translations fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from handlers.help import CITY_CONTACT, COORDINATOR, EVERYONE

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"t": (2,), "gettext": (2,), "user_error": (2,), "awaited_text": (5,)}
CHAT_SOURCES = [
    *(ROOT / "handlers").glob("*.py"),
    *(ROOT / "bot").glob("*.py"),
    *(ROOT / "bot" / "services").glob("*.py"),
    *(ROOT / "bot" / "notices").glob("*.py"),
]


def chat_msgids() -> set[str]:
    found = {description for _, description in EVERYONE + CITY_CONTACT + COORDINATOR}
    for path in CHAT_SOURCES:
        for _, message, _, _ in extract_from_file("python", str(path), keywords=KEYWORDS):
            found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(language: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((ROOT / "bot" / "locales" / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fh:
            merged.update({m.id: m.string for m in read_po(fh, locale=language) if m.id and m.string})
    return merged


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"\{(\w+)\}", text))


def test_the_sources_use_a_hundred_or_so_texts() -> None:
    assert len(chat_msgids()) > 100  # the extraction itself works, so the checks below mean something


@pytest.mark.parametrize("language", ["en", "zh", "de"])
def test_every_chat_text_is_translated_with_the_same_placeholders(language: str) -> None:
    translations = catalog(language)
    if language == "en":  # English is the source: an empty msgstr shows the msgid itself
        translations = {m: translations.get(m) or m for m in chat_msgids()}
    missing = sorted(m for m in chat_msgids() if not translations.get(m))
    assert missing == []
    wrong = sorted(m for m in chat_msgids() if placeholders(translations[m]) != placeholders(m))
    assert wrong == []


@pytest.mark.parametrize("language", ["zh", "de"])
def test_chinese_and_german_texts_are_not_english_copies(language: str) -> None:
    translations = catalog(language)
    # Command-free, placeholder-free sentences must differ from the English source.
    sentences = [m for m in chat_msgids() if len(m) > 20 and "{" not in m and "/" not in m]
    copies = [m for m in sentences if translations[m] == m]
    assert copies == []

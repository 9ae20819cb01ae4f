"""Every text of the web pages exists in English, Chinese and German, with the same placeholders.

Texts of the pages are found in the templates (``t("…")``) and in ``web/*.py`` (``msgid("…")``);
the services' and the chat's texts are checked by tests/conversation/test_chat_catalogs.py. All
catalogs of a language are merged, as ``bot.i18n`` merges them; the web's own are ``web.po``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from jinja2.ext import babel_extract

from tests.conversation.test_chat_catalogs import catalog, placeholders

ROOT = Path(__file__).resolve().parents[2]


def web_msgids() -> set[str]:
    found: set[str] = set()
    for path in sorted((ROOT / "web" / "templates").rglob("*.html")):
        with path.open("rb") as fh:
            for _, _, message, _ in babel_extract(fh, ("t",), [], {}):
                text = message if isinstance(message, str) or message is None else message[0]
                if text:  # t(error.msgid, …) has no literal text
                    found.add(text)
    for path in sorted((ROOT / "web").glob("*.py")):
        for _, message, _, _ in extract_from_file("python", str(path), keywords={"msgid": (1,)}):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_the_pages_use_many_texts() -> None:
    assert len(web_msgids()) > 80  # the extraction works, so the checks below mean something


def test_each_language_has_a_web_catalog() -> None:
    for language in ("en", "zh", "de"):
        assert (ROOT / "bot" / "locales" / language / "LC_MESSAGES" / "web.po").is_file()


@pytest.mark.parametrize("language", ["en", "zh", "de"])
def test_every_web_text_is_translated_with_the_same_placeholders(language: str) -> None:
    translations = catalog(language)
    if language == "en":
        translations = {m: translations.get(m) or m for m in web_msgids()}
    missing = sorted(m for m in web_msgids() if not translations.get(m))
    assert missing == []
    assert sorted(m for m in web_msgids() if placeholders(translations[m]) != placeholders(m)) == []


@pytest.mark.parametrize("language", ["zh", "de"])
def test_chinese_and_german_page_texts_are_not_english_copies(language: str) -> None:
    translations = catalog(language)
    sentences = [m for m in web_msgids() if len(m) > 20 and "{" not in m and "/" not in m]
    assert [m for m in sentences if translations[m] == m] == []

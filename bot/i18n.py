"""Message catalogs and locale-aware formatting of instants.

Texts live in gettext catalogs under ``bot/locales/<language>/LC_MESSAGES/*.po``, one ``.po`` per
feature (``invites.po``, ``chat.po``, …) so that features can grow their texts independently; all
files of one language are merged into one catalog. Catalogs are read from the ``.po`` sources at
first use (Babel compiles them in memory), so there is no build step and no binary in the repo.
English is the fallback for a missing language and for a missing translation.
"""

from __future__ import annotations

import io
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from bot.domain import utc

LOCALES_DIR = Path(__file__).parent / "locales"
SUPPORTED_LANGUAGES = ("en", "zh", "de")
FALLBACK_LANGUAGE = "en"


def normalize_language(code: str | None) -> str:
    """Map a Telegram ``language_code`` (``de-AT``, ``zh-hans``, ``pt-br``) to a supported language."""
    if not code:
        return FALLBACK_LANGUAGE
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in SUPPORTED_LANGUAGES else FALLBACK_LANGUAGE


@lru_cache(maxsize=None)
def translations(language: str) -> NullTranslations:
    """The merged catalog of ``language`` (English source strings when there is none)."""
    folder = LOCALES_DIR / language / "LC_MESSAGES"
    po_files = sorted(folder.glob("*.po")) if folder.is_dir() else []
    if not po_files:
        return NullTranslations()
    merged = Catalog(locale=language)
    for path in po_files:
        with path.open("rb") as fh:
            for message in read_po(fh, locale=language):
                if message.id and message.string:
                    merged[message.id] = message
    buffer = io.BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return Translations(buffer)


def gettext(language: str, message: str, **values: object) -> str:
    """Translate ``message`` into ``language`` and fill in ``{name}`` placeholders."""
    text = translations(normalize_language(language)).gettext(message)
    return text.format(**values) if values else text


def ngettext(language: str, singular: str, plural: str, n: int, **values: object) -> str:
    text = translations(normalize_language(language)).ngettext(singular, plural, n)
    return text.format(n=n, **values)


# One pattern per language: weekday, date, time and the zone's short name, as people in each
# language write them ("Mi., 31. März 2027, 09:00 MESZ", "2027年3月31日 星期三 15:00").
_DATETIME_PATTERNS = {
    "en": "EEE d MMM y, HH:mm zzz",
    "de": "EEE, d. MMMM y, HH:mm zzz",
    "zh": "y年M月d日 EEEE HH:mm",
}


def format_instant(instant_utc: datetime, zone: str, language: str) -> str:
    """An instant as a reader in ``zone`` who speaks ``language`` expects to see it."""
    language = normalize_language(language)
    return format_datetime(
        utc(instant_utc),
        _DATETIME_PATTERNS[language],
        tzinfo=ZoneInfo(zone),
        locale=Locale.parse(language),
    )


_DATE_PATTERNS = {"en": "EEE d MMM y", "de": "EEE, d. MMMM y", "zh": "y年M月d日 EEEE"}


def format_local_date(instant_utc: datetime, zone: str, language: str) -> str:
    """Only the local date with its weekday, e.g. ``Mi., 31. März 2027``."""
    language = normalize_language(language)
    return format_datetime(utc(instant_utc), _DATE_PATTERNS[language], tzinfo=ZoneInfo(zone), locale=Locale.parse(language))


def format_time_of_day(instant_utc: datetime, zone: str, language: str) -> str:
    """Only the local time of day, e.g. ``15:00``."""
    return format_datetime(utc(instant_utc), "HH:mm", tzinfo=ZoneInfo(zone), locale=Locale.parse(normalize_language(language)))

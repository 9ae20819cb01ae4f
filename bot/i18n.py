"""Message catalogs and locale-aware formatting of instants.

Texts live in gettext catalogs under ``bot/locales/<language>/LC_MESSAGES/*.po``, one ``.po`` per
feature (``invites.po``, ``chat.po``, …) so that features can grow their texts independently; all
files of one language are merged into one catalog. Catalogs are read from the ``.po`` sources at
first use (Babel compiles them in memory), so there is no build step and no binary in the repo.
English is the fallback for a missing language and for a missing translation.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, get_timezone_location
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from bot.domain import City, utc

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


# ---- showing an instant -------------------------------------------------------------------
#
# One way in every language and every message (chat, e-mail, invite description, reminder): the
# reader's own zone first, then each other place of the meeting; every entry is the local time,
# the place's name and the zone's offset from UTC; the date is written first, and again only where
# it changes (16:00 Wednesday in Los Angeles is 12:00 Thursday in Auckland). 07:00 UTC on
# 31 March 2027, read in Hamburg, with Panjin also shown:
#
#   en  Wed 31 Mar 2027, 09:00 Hamburg (UTC+2) · 15:00 Panjin (UTC+8)
#   de  Mi., 31. März 2027, 09:00 Hamburg (UTC+2) · 15:00 Panjin (UTC+8)
#   zh  2027年3月31日 星期三 09:00 Hamburg（UTC+2） · 15:00 Panjin（UTC+8）
#
# Why the offset and not the zone's abbreviation: CLDR names only some zones in some languages
# (German had "MEZ" for Hamburg but "+0800" for Panjin, English "+0100", Chinese nothing), an
# offset reads the same in every language, is exact for half- and three-quarter-hour zones
# (Kolkata UTC+5:30, Kathmandu UTC+5:45, St John's UTC-2:30 in summer) and says whether summer
# time applies; no offset is plain "UTC" (Lisbon in winter). Places whose clocks read the same
# (same wall time, same offset) share one entry: "10:00 Brussels, Ravenna (UTC+2)".

_DATE_PATTERNS = {"en": "EEE d MMM y", "de": "EEE, d. MMMM y", "zh": "y年M月d日 EEEE"}
# Buttons are narrow (a phone shows some 40 characters): no year, no offsets. The message the
# buttons belong to says the rest.
_SHORT_DATE_PATTERNS = {"en": "EEE d MMM", "de": "EEE, d. MMM", "zh": "M月d日 EEEE"}
_GROUP_SEPARATOR = " · "


@dataclass(frozen=True)
class Place:
    """A named place (a city) and its IANA zone: somewhere a time is read."""

    name: str
    zone: str

    @classmethod
    def of(cls, city: City) -> Place:
        return cls(city.name, city.timezone)


def _offset_label(local: datetime) -> str:
    """The offset from UTC of an aware local time: ``UTC+8``, ``UTC+5:30``, ``UTC-7``; ``UTC`` for none."""
    offset = local.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds() // 60)  # whole minutes: no zone has used seconds since 1972
    if minutes == 0:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'-' if minutes < 0 else '+'}{hours}" + (f":{rest:02d}" if rest else "")


def format_instant(instant_utc: datetime, zone: str, language: str, places: Iterable[Place] = (), *, short: bool = False) -> str:
    """``instant_utc`` as a reader in ``zone`` who speaks ``language`` sees it, then in each of ``places``.

    The reader's entry takes the name of the places in ``zone`` (a Hamburg contact: "Hamburg"),
    else the zone's city in ``language`` (a coordinator in Europe/Brussels: "Brussels",
    "Brüssel", "布鲁塞尔"); ``UTC`` and ``Etc/…`` zones have no city: "07:00 UTC".
    ``short``: for a button, without the year and the offsets: "Wed 31 Mar, 09:00 Hamburg · 15:00 Panjin".
    """
    language = normalize_language(language)
    instant = utc(instant_utc)
    places = tuple(places)
    reader_names = [p.name for p in places if p.zone == zone] or _zone_city(zone, language)
    groups: list[tuple[datetime, list[str]]] = [(instant.astimezone(ZoneInfo(zone)), list(dict.fromkeys(reader_names)))]
    for place in places:
        if place.zone == zone:
            continue
        local = instant.astimezone(ZoneInfo(place.zone))
        same = next((names for seen, names in groups if _same_clock(seen, local)), None)
        if same is None:
            groups.append((local, [place.name]))
        elif place.name not in same:
            same.append(place.name)
    entries, previous_date = [], None
    for local, names in groups:
        entry = f"{local:%H:%M} {gettext(language, ', ').join(names)}".rstrip() if short else _entry(local, names, language)
        date_text = _local_date(local, language, _SHORT_DATE_PATTERNS if short else _DATE_PATTERNS)
        if date_text != previous_date:
            entry = gettext(language, "{date}, {time}", date=date_text, time=entry)
        entries.append(entry)
        previous_date = date_text
    return _GROUP_SEPARATOR.join(entries)


def _entry(local: datetime, names: list[str], language: str) -> str:
    time_text = f"{local:%H:%M}"
    label = _offset_label(local)
    if not names:
        return gettext(language, "{time} {offset}", time=time_text, offset=label)
    place = gettext(language, ", ").join(names)
    return gettext(language, "{time} {place} ({offset})", time=time_text, place=place, offset=label)


def _same_clock(a: datetime, b: datetime) -> bool:
    return a.replace(tzinfo=None) == b.replace(tzinfo=None) and a.utcoffset() == b.utcoffset()


def _local_date(local: datetime, language: str, patterns: dict[str, str]) -> str:
    return format_datetime(local, patterns[language], tzinfo=local.tzinfo, locale=Locale.parse(language))


def _zone_city(zone: str, language: str) -> list[str]:
    """The zone's exemplar city in ``language`` (CLDR), or nothing for UTC and ``Etc/…`` zones."""
    if "/" not in zone or zone.startswith("Etc/"):
        return []
    return [get_timezone_location(ZoneInfo(zone), locale=Locale.parse(language), return_city=True)]

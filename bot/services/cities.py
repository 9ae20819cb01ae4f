"""Coordinators' city management: add, list, edit, import from CSV, act for a city, e-mail contacts."""

from __future__ import annotations

import builtins
import csv
import io
import re
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale

from bot.config import Config
from bot.domain import Actor, City, ConflictError, Contact, InvalidInputError, NotFoundError, Role, excerpt
from bot.i18n import FALLBACK_LANGUAGE
from bot.ports import UnitOfWork
from bot.services.base import ServiceBase
from bot.services.errors import user_error

# Babel's territory list holds ISO 3166-1 alpha-2 codes plus a few groupings that are no country.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ"})
_COUNTRIES = frozenset(code for code in Locale("en").territories if isinstance(code, str) and re.fullmatch(r"[A-Z]{2}", code)) - _NOT_COUNTRIES
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_EMAIL_LENGTH = 254  # RFC 5321's longest path, less its angle brackets
EDITABLE_FIELDS = ("name", "country", "timezone", "group", "subdivision", "link")
CSV_COLUMNS = ("name", "country", "timezone", "group")


@dataclass(frozen=True)
class CityListing:
    city: City
    telegram_contacts: int
    email_contacts: int


@dataclass(frozen=True)
class CityFields:
    """A city's fields as validated from user text, before it is stored."""

    name: str
    country: str
    timezone: str
    group: str
    subdivision: str | None = None


def check_city_fields(config: Config, name: str, country: str, timezone: str, group: str, subdivision: str = "") -> CityFields:
    """Validate one city's fields; the error names the field and what is expected."""
    name = " ".join(name.split())
    if not name or len(name) > 120:
        raise user_error(InvalidInputError, "A city needs a name of 1 to 120 characters.")
    country = country.strip().upper()
    if country not in _COUNTRIES:
        raise user_error(
            InvalidInputError, "\"{country}\" is not a country code; use two letters such as CN, DE or IT.", country=excerpt(country)
        )
    timezone = timezone.strip()
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise user_error(
            InvalidInputError, "\"{zone}\" is not a time zone; use an IANA name such as Europe/Rome.", zone=excerpt(timezone)
        ) from None
    group = group.strip()
    groups = config.programme.groups
    if groups and group not in groups:
        raise user_error(
            InvalidInputError, "\"{group}\" is not a group of this programme; use one of: {groups}.", group=excerpt(group), groups=", ".join(groups)
        )
    if not group or len(group) > 40:
        raise user_error(InvalidInputError, "A city needs a group of 1 to 40 characters, such as EU.")
    subdivision = subdivision.strip().upper()
    return CityFields(name, country, timezone, group, subdivision or None)


class CityService(ServiceBase):
    async def add(self, *, by: Actor, name: str, country: str, timezone: str, group: str, subdivision: str = "") -> City:
        """Add one city (coordinators only)."""
        self.require_coordinator(by)  # first: a refusal must not depend on (or reveal) the fields
        fields = check_city_fields(self.config, name, country, timezone, group, subdivision)
        async with self.uow() as uow:
            if await uow.cities.by_name(fields.name) is not None:
                raise user_error(ConflictError, "There is already a city called {name}.", name=fields.name)
            city = await uow.cities.add(now_utc=self.now(), **vars(fields))
            await uow.commit()
            return city

    async def list(self, *, by: Actor) -> list[CityListing]:
        self.require_coordinator(by)
        async with self.reading() as uow:
            listings = []
            for city in await uow.cities.list():
                contacts: list[Contact] = await uow.contacts.of_city(city.id)
                listings.append(
                    CityListing(
                        city,
                        telegram_contacts=sum(1 for c in contacts if c.telegram_user_id is not None),
                        email_contacts=sum(1 for c in contacts if c.telegram_user_id is None and c.email),
                    )
                )
            return listings

    async def edit(self, *, by: Actor, city_name: str, field: str, value: str) -> City:
        """Change one field of a city (the chat's /editcity); the whole city is validated again."""
        self.require_coordinator(by)
        if field not in EDITABLE_FIELDS:
            raise user_error(
                InvalidInputError, "\"{field}\" cannot be changed; choose one of: {fields}.", field=excerpt(field), fields=", ".join(EDITABLE_FIELDS)
            )
        async with self.uow() as uow:
            city = await self._city_named(uow, city_name)
        current = {"name": city.name, "country": city.country, "timezone": city.timezone, "group": city.group,
                   "subdivision": city.subdivision or "", "link": city.meeting_link or ""}
        current[field] = value
        return await self.update(by=by, city_id=city.id, **current)

    async def update(
        self, *, by: Actor, city_id: int, name: str, country: str, timezone: str, group: str, subdivision: str = "", link: str = ""
    ) -> City:
        """Save all fields of a city at once (the board's form), validated as a new city's are."""
        self.require_coordinator(by)
        fields = check_city_fields(self.config, name, country, timezone, group, subdivision)
        meeting_link = link.strip() or None
        if meeting_link is not None and not meeting_link.startswith("https://"):
            raise user_error(InvalidInputError, "A meeting link must start with https://.")
        async with self.uow() as uow:
            city = await uow.cities.get(city_id)
            if city is None:
                raise user_error(NotFoundError, "That city no longer exists.")
            other = await uow.cities.by_name(fields.name)
            if other is not None and other.id != city.id:
                raise user_error(ConflictError, "There is already a city called {name}.", name=fields.name)
            updated = await uow.cities.save(replace(city, **vars(fields), meeting_link=meeting_link))
            await uow.commit()
        if (city.timezone, city.country, city.subdivision) != (updated.timezone, updated.country, updated.subdivision):
            self.wakeups.planning_needed()
        return updated

    async def import_csv(self, text: str, *, by: Actor | None) -> builtins.list[City]:  # builtins: "list" is a method here
        """Import cities from CSV (``name,country,timezone,group[,subdivision]`` with a header row).

        All or nothing: every bad row is reported with its line number, and if any row is bad
        nothing is imported. ``by=None`` is the command line (whoever may open the database).
        """
        self.require_coordinator(by)
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        if not rows:
            raise user_error(InvalidInputError, "The file is empty; the first line must be: {header}", header=",".join(CSV_COLUMNS))
        header = [h.strip().lower() for h in rows[0]]
        missing = [c for c in CSV_COLUMNS if c not in header]
        if missing:
            raise user_error(
                InvalidInputError,
                "line 1: the header lacks {missing}; it must name the columns {header}[,subdivision].",
                missing=", ".join(missing),
                header=",".join(CSV_COLUMNS),
            )
        problems: list[str] = []
        parsed: list[CityFields] = []
        seen: dict[str, int] = {}
        for line_number, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                problems.append(f"line {line_number}: expected {len(header)} columns, found {len(row)}")
                continue
            values = dict(zip(header, row))
            try:
                fields = check_city_fields(
                    self.config, values["name"], values["country"], values["timezone"], values["group"], values.get("subdivision", "")
                )
            except InvalidInputError as exc:
                problems.append(f"line {line_number}: {exc}")
                continue
            key = fields.name.lower()
            if key in seen:
                problems.append(f"line {line_number}: {fields.name} appears already on line {seen[key]}")
                continue
            seen[key] = line_number
            parsed.append(fields)
        async with self.uow() as uow:
            for fields in parsed:
                if await uow.cities.by_name(fields.name) is not None:
                    problems.append(f"line {seen[fields.name.lower()]}: there is already a city called {fields.name}")
            if problems:
                problems.sort(key=lambda p: int(p.split(":")[0].split()[1]))
                raise InvalidInputError("nothing imported:\n" + "\n".join(problems))
            if not parsed:
                raise user_error(InvalidInputError, "The file holds no cities, only its header.")
            cities = [await uow.cities.add(now_utc=self.now(), **vars(fields)) for fields in parsed]
            await uow.commit()
            return cities

    async def act_for(self, *, by: Actor, city_name: str) -> City:
        """A coordinator acts for a city: /topics, /hours and /away then change that city."""
        self.require_coordinator(by)
        async with self.uow() as uow:
            city = await self._city_named(uow, city_name)
            assert by.telegram_user_id is not None  # coordinators act as their Telegram user
            conversation = await uow.conversations.get(by.telegram_user_id)
            await uow.conversations.save(replace(conversation, acting_city_id=city.id), now_utc=self.now())
            await uow.commit()
            return city

    async def add_email_contact(self, *, by: Actor, city_name: str, name: str, email: str) -> Contact:
        """Record a contact who is reached by e-mail only (Telegram is blocked in mainland China)."""
        self.require_coordinator(by)
        email = email.strip()
        if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.fullmatch(email):
            raise user_error(InvalidInputError, "\"{email}\" is not an e-mail address.", email=excerpt(email))
        name = " ".join(name.split())
        if not name:
            raise user_error(InvalidInputError, "An e-mail contact needs a name.")
        async with self.uow() as uow:
            city = await self._city_named(uow, city_name)
            contacts: list[Contact] = await uow.contacts.of_city(city.id)
            if any((c.email or "").lower() == email.lower() for c in contacts):
                raise user_error(ConflictError, "{email} is already a contact of {city}.", email=email, city=city.name)
            contact = await uow.contacts.add(
                display_name=name[:120],
                role=Role.CONTACT,
                language=self.config.programme.default_language or FALLBACK_LANGUAGE,
                now_utc=self.now(),
                city_id=city.id,
                email=email,
            )
            await uow.commit()
            return contact

    @staticmethod
    async def _city_named(uow: UnitOfWork, name: str) -> City:
        city: City | None = await uow.cities.by_name(name)
        if city is None:
            raise user_error(NotFoundError, "There is no city called \"{name}\"; /cities lists them.", name=excerpt(name.strip()))
        return city

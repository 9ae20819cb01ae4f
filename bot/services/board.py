"""The programme board: what a coordinator reads on the web's board pages, coordinators only.

The board only *reads* here; everything it changes goes through the services the chat uses
(``sessions.confirm`` / ``reschedule`` / ``cancel``, ``matching.decline``, ``cities.add`` /
``update`` / ``import_csv`` / ``add_email_contact``, ``onboarding.contact_link``), so a change made on
the board is checked, raced and announced exactly as the same change made in the chat.

Every page is built from a fixed number of queries whatever the programme's size (a test counts
them), and long lists are paged: a programme of 1,000 cities and 15,000 matches is served in
pages of ``PAGE_SIZE``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain import (
    LIVE_MATCH_STATUSES,
    Actor,
    City,
    Contact,
    InvalidInputError,
    MatchStatus,
    MatchView,
    NotFoundError,
    NoticeKind,
    PermissionDeniedError,
    RoadmapEntry,
    Role,
    Session,
    SessionStatus,
    SessionView,
    Topic,
)
from bot.export import schedule_csv, schedule_ics
from bot.planner.calendar import holiday_name
from bot.services.base import ServiceBase
from bot.services.errors import user_error
from bot.services.planning import city_calendars
from bot.services.schedule_export import export_rows

PAGE_SIZE = 50
CALENDAR_PAGE_SIZE = 150  # sessions of one week on one page (a week of a large programme holds thousands)
# A pair counts as matching on a topic while its match is alive or has led to a session.
MATCHING_STATUSES = (*LIVE_MATCH_STATUSES, MatchStatus.CONFIRMED)
TODO_CONTACT, TODO_HOURS, TODO_TOPIC = "contact", "hours", "topic"


def _pages(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def _page_number(page: int, total: int) -> int:
    return min(max(page, 1), _pages(total))


# ---------------------------------------------------------------------------------- read models


@dataclass(frozen=True)
class BoardMatch:
    """One match on the board: its offered slots (planned) and its session (confirmed)."""

    view: MatchView
    slots: tuple[datetime, ...]
    session: Session | None


@dataclass(frozen=True)
class MatchFilter:
    city_id: int | None = None
    topic_id: int | None = None
    status: MatchStatus | None = None


@dataclass(frozen=True)
class MatchesPage:
    rows: tuple[BoardMatch, ...]
    filter: MatchFilter
    counts: dict[MatchStatus, int]  # per status, within the city and topic chosen
    total: int  # the matches of the whole filter
    page: int
    pages: int
    cities: tuple[City, ...]  # for the filter's choices
    topics: tuple[Topic, ...]


@dataclass(frozen=True)
class MatrixRow:
    city: City
    chosen: dict[int, str | None]  # topic id -> the city's note on it
    todos: tuple[str, ...]  # TODO_CONTACT, TODO_HOURS, TODO_TOPIC: what the city still lacks


@dataclass(frozen=True)
class TopicColumn:
    topic: Topic
    cities: int  # how many cities chose it
    pairs: int  # how many pairs match on it


@dataclass(frozen=True)
class MatrixPage:
    columns: tuple[TopicColumn, ...]
    groups: tuple[tuple[str, tuple[MatrixRow, ...]], ...]  # the page's cities by group
    todo_counts: dict[str, int]  # in the whole programme
    only_todos: bool
    total: int  # cities listed (all, or those with a to-do)
    page: int
    pages: int


@dataclass(frozen=True)
class CityPeople:
    city: City
    people: tuple[Contact, ...]  # its contacts and colleagues
    unreachable: tuple[Contact, ...]  # those no channel reaches (blocked the bot, no address)

    @property
    def speakers(self) -> tuple[Contact, ...]:
        return tuple(c for c in self.people if c.role is Role.CONTACT)

    @property
    def reachable(self) -> bool:
        """Someone of the city can be told something."""
        return len(self.unreachable) < len(self.people)


@dataclass(frozen=True)
class CitiesPage:
    rows: tuple[CityPeople, ...]
    only_unreachable: bool
    unreachable_cities: int  # in the whole programme: cities nobody of which can be reached
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class CalendarDay:
    day: date
    sessions: tuple[SessionView, ...]  # starting on this day in the coordinators' zone
    holidays: tuple[tuple[City, str], ...]  # the cities shown that have a public holiday, and its name
    away: tuple[City, ...]  # the cities shown that are away


@dataclass(frozen=True)
class CalendarWeek:
    zone: str
    monday: date
    days: tuple[CalendarDay, ...]
    total: int  # sessions in the week; a busy week is shown CALENDAR_PAGE_SIZE sessions at a time
    page: int
    pages: int


@dataclass(frozen=True)
class RoadmapPage:
    rows: tuple[RoadmapRow, ...]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class RoadmapRow:
    """One session of a pair on a topic, and what each of the two cities said about it."""

    view: SessionView
    reports: tuple[RoadmapEntry | None, RoadmapEntry | None]  # city a's, city b's


def _roadmap_row(view: SessionView, reports: dict[tuple[int, int], RoadmapEntry]) -> RoadmapRow:
    return RoadmapRow(view, (reports.get((view.session.id, view.city_a.id)), reports.get((view.session.id, view.city_b.id))))


def _unreachable(people: Iterable[Contact], email_enabled: bool) -> tuple[Contact, ...]:
    return tuple(c for c in people if not c.channels_for(NoticeKind.MATCH_NOTICE, email_enabled=email_enabled))


class BoardService(ServiceBase):
    # ------------------------------------------------------------------------------ matches

    async def matches(self, *, by: Actor, filter: MatchFilter = MatchFilter(), page: int = 1) -> MatchesPage:
        """Every match with its status, filtered by city, topic and status, one page at a time (six queries)."""
        self.require_coordinator(by)
        async with self.uow() as uow:
            cities = await uow.cities.list()
            topics = await uow.topics.list()
            counted = await uow.matches.counts(city_id=filter.city_id)
            counts: dict[MatchStatus, int] = {status: 0 for status in MatchStatus}
            for (topic_id, status), n in counted.items():
                if filter.topic_id is None or topic_id == filter.topic_id:
                    counts[status] += n
            total = counts[filter.status] if filter.status is not None else sum(counts.values())
            page = _page_number(page, total)
            views = await uow.matches.views(
                statuses=[filter.status] if filter.status is not None else None, city_id=filter.city_id, topic_id=filter.topic_id,
                offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
            )
            ids = [v.match.id for v in views]
            slots = await uow.matches.proposals_of(ids)
            sessions = await uow.sessions.of_matches(ids)
        rows = tuple(
            BoardMatch(
                v,
                tuple(start for start, _ in slots.get(v.match.id, ())) if v.match.status is MatchStatus.PLANNED else (),
                sessions.get(v.match.id),
            )
            for v in views
        )
        return MatchesPage(rows, filter, counts, total, page, _pages(total), tuple(cities), tuple(topics))

    # ------------------------------------------------------------------------------ interest matrix

    async def matrix(self, *, by: Actor, page: int = 1, only_todos: bool = False) -> MatrixPage:
        """Cities (by group) × topics: who chose what, the pairs per topic, and what each city lacks (six queries)."""
        self.require_coordinator(by)
        async with self.uow() as uow:
            cities = await uow.cities.list()
            topics = await uow.topics.list()
            interests = await uow.interests.of_cities()
            with_contact = await uow.contacts.city_ids_with_role(Role.CONTACT)
            with_hours = await uow.cities.ids_with_hours()
            counted = await uow.matches.counts()
        chosen: dict[int, dict[int, str | None]] = {}
        for interest in interests:
            chosen.setdefault(interest.city_id, {})[interest.topic_id] = interest.note
        rows = []
        for city in cities:
            todos = []
            if city.id not in with_contact:
                todos.append(TODO_CONTACT)
            if city.id not in with_hours:
                todos.append(TODO_HOURS)
            if not chosen.get(city.id):
                todos.append(TODO_TOPIC)
            rows.append(MatrixRow(city, chosen.get(city.id, {}), tuple(todos)))
        todo_counts = {todo: sum(1 for r in rows if todo in r.todos) for todo in (TODO_CONTACT, TODO_HOURS, TODO_TOPIC)}
        listed = sorted((r for r in rows if r.todos or not only_todos), key=lambda r: (r.city.group, r.city.name.lower()))
        page = _page_number(page, len(listed))
        groups: dict[str, list[MatrixRow]] = {}
        for row in listed[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]:
            groups.setdefault(row.city.group, []).append(row)
        columns = tuple(
            TopicColumn(
                topic,
                cities=sum(1 for c in chosen.values() if topic.id in c),
                pairs=sum(counted.get((topic.id, status), 0) for status in MATCHING_STATUSES),
            )
            for topic in topics
        )
        return MatrixPage(
            columns, tuple((g, tuple(r)) for g, r in groups.items()), todo_counts, only_todos, len(listed), page, _pages(len(listed))
        )

    # ------------------------------------------------------------------------------ cities

    async def cities(self, *, by: Actor, page: int = 1, only_unreachable: bool = False) -> CitiesPage:
        """The cities with their people, who of them cannot be reached, one page at a time (two queries)."""
        self.require_coordinator(by)
        email_enabled = self.config.email.enabled
        async with self.uow() as uow:
            cities = await uow.cities.list()
            people = await uow.contacts.of_cities()
        rows = [
            CityPeople(city, tuple(people.get(city.id, ())), _unreachable(people.get(city.id, ()), email_enabled))
            for city in sorted(cities, key=lambda c: (c.group, c.name.lower()))
        ]
        unreachable_cities = sum(1 for r in rows if not r.reachable)
        listed = [r for r in rows if not r.reachable or r.unreachable] if only_unreachable else rows
        page = _page_number(page, len(listed))
        return CitiesPage(
            tuple(listed[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]), only_unreachable, unreachable_cities, len(listed), page, _pages(len(listed))
        )

    async def city(self, *, by: Actor, city_id: int) -> CityPeople:
        """One city with its people (the city's page of the board)."""
        self.require_coordinator(by)
        async with self.uow() as uow:
            city = await uow.cities.get(city_id)
            if city is None:
                raise user_error(NotFoundError, "That city no longer exists.")
            people = (await uow.contacts.of_cities([city_id])).get(city_id, [])
        return CityPeople(city, tuple(people), _unreachable(people, self.config.email.enabled))

    # ------------------------------------------------------------------------------ calendar

    async def week(self, *, by: Actor, day: date | None = None, page: int = 1) -> CalendarWeek:
        """The confirmed sessions of the week holding ``day`` (today), in the coordinators' zone, with the
        public holidays (and the coordinators' days off) and days away of the cities they bring together (six queries)."""
        self.require_coordinator(by)
        zone = self.config.programme.timezone
        tz = ZoneInfo(zone)
        today = self.now().astimezone(tz).date()
        monday = (day or today) - timedelta(days=(day or today).weekday())
        days = [monday + timedelta(days=n) for n in range(7)]
        start = datetime.combine(monday, time(0), tzinfo=tz)
        end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=tz)
        async with self.uow() as uow:
            confirmed = [SessionStatus.CONFIRMED]
            total = await uow.sessions.count(statuses=confirmed, after_utc=start, before_utc=end)
            pages = max(1, -(-total // CALENDAR_PAGE_SIZE))
            page = min(max(page, 1), pages)
            views = await uow.sessions.views(
                statuses=confirmed, after_utc=start, before_utc=end, offset=(page - 1) * CALENDAR_PAGE_SIZE, limit=CALENDAR_PAGE_SIZE
            )
            shown = sorted({c.id: c for v in views for c in (v.city_a, v.city_b)}.values(), key=lambda c: c.name.lower())
            calendars = await city_calendars(uow, shown)  # the planner's own view: holidays, overrides, days away
        by_day: dict[date, list[SessionView]] = {d: [] for d in days}
        for view in views:
            by_day[view.session.start_utc.astimezone(tz).date()].append(view)
        calendar = []
        names: dict[tuple[str, str | None, date], str | None] = {}  # cities of one country share their holidays
        for d in days:
            holidays = []
            for city in shown:
                key = (city.country, city.subdivision, d)
                if key not in names:
                    try:
                        names[key] = holiday_name(calendars[city.id], d)
                    except InvalidInputError:  # a country the holidays library does not know
                        names[key] = None
                if names[key]:
                    holidays.append((city, str(names[key])))
            away = tuple(c for c in shown if d in calendars[c.id].days_away)
            calendar.append(CalendarDay(d, tuple(by_day[d]), tuple(holidays), away))
        return CalendarWeek(zone, monday, tuple(calendar), total, page, pages)

    # ------------------------------------------------------------------------------ roadmap

    async def roadmap(self, *, by: Actor) -> list[RoadmapRow]:
        """Per pair and topic, each session that began and what both cities said after it (two queries)."""
        self.require_coordinator(by)
        async with self.uow() as uow:
            reports = {(e.session_id, e.city_id): e for e in await uow.roadmap.list()}
            views = await uow.sessions.views(statuses=[SessionStatus.CONFIRMED], before_utc=self.now())
        rows = [_roadmap_row(v, reports) for v in views]
        return sorted(rows, key=lambda r: (r.view.city_a.name.lower(), r.view.city_b.name.lower(), r.view.topic.key, r.view.session.start_utc))

    async def roadmap_page(self, *, by: Actor, page: int = 1) -> RoadmapPage:
        """One page of the roadmap, the latest sessions first (three queries, whatever the programme's size)."""
        self.require_coordinator(by)
        now, confirmed = self.now(), [SessionStatus.CONFIRMED]
        async with self.uow() as uow:
            total = await uow.sessions.count(statuses=confirmed, before_utc=now)
            page = _page_number(page, total)
            # Earliest first in the database; the page counts from the latest.
            first = max(total - page * PAGE_SIZE, 0)
            views = await uow.sessions.views(statuses=confirmed, before_utc=now, offset=first, limit=total - (page - 1) * PAGE_SIZE - first)
            reports = {(e.session_id, e.city_id): e for e in await uow.roadmap.list(session_ids=[v.session.id for v in views])}
        return RoadmapPage(tuple(_roadmap_row(v, reports) for v in reversed(views)), total, page, _pages(total))

    async def roadmap_csv(self, *, by: Actor, language: str) -> str:
        """The roadmap as CSV: one line per session and city (RFC 4180 line ends; write it as utf-8-sig)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(("city_a", "city_b", "topic", "session_start_utc", "city", "took_place", "next_steps", "reported_by", "reported_utc"))
        for row in await self.roadmap(by=by):
            v = row.view
            for city, report in zip((v.city_a, v.city_b), row.reports, strict=True):
                writer.writerow((
                    v.city_a.name, v.city_b.name, v.topic.title(language), v.session.start_utc.isoformat(), city.name,
                    "" if report is None else ("yes" if report.took_place else "no"),
                    report.next_steps or "" if report else "", report.reported_by if report else "",
                    report.reported_at_utc.isoformat() if report else "",
                ))
        return buffer.getvalue()

    # ------------------------------------------------------------------------------ exports

    async def schedule_csv(self, *, by: Actor, language: str) -> str:
        """Every confirmed session as ``tandem export`` writes it (``bot.export.schedule_csv``)."""
        self.require_coordinator(by)
        return schedule_csv(await export_rows(self.root.uow_factory, language))

    async def new_calendar_feed(self, *, by: Actor) -> str:
        """A new secret calendar URL token for the coordinator; their previous one stops working.

        Only the token's SHA-256 is stored, so the URL is shown once, and reading the database
        subscribes nobody.
        """
        self.require_coordinator(by)
        coordinator = by.telegram_user_id
        assert coordinator is not None  # coordinators are Telegram users (the configuration's ids)
        token = secrets.token_urlsafe(32)
        now = self.now()
        async with self.uow() as uow:
            await uow.calendar_feeds.revoke(coordinator, now_utc=now)
            await uow.calendar_feeds.add(token_hash=_feed_hash(token), telegram_user_id=coordinator, now_utc=now)
            await uow.commit()
        return token

    async def revoke_calendar_feed(self, *, by: Actor) -> bool:
        """Stop the coordinator's calendar URL; False when there was none."""
        self.require_coordinator(by)
        assert by.telegram_user_id is not None
        async with self.uow() as uow:
            revoked = await uow.calendar_feeds.revoke(by.telegram_user_id, now_utc=self.now())
            await uow.commit()
        return revoked > 0

    async def calendar_feed_since(self, *, by: Actor) -> datetime | None:
        """When the coordinator's live calendar URL was made (None: they have none)."""
        self.require_coordinator(by)
        assert by.telegram_user_id is not None
        async with self.uow() as uow:
            return await uow.calendar_feeds.live_since(by.telegram_user_id)

    async def calendar_feed(self, *, token: str) -> bytes:
        """The programme's schedule for a calendar that subscribed with ``token`` (no session: the token is the key).

        Refused once the URL is revoked, or once its coordinator is no longer in the configuration.
        """
        async with self.uow() as uow:
            owner = await uow.calendar_feeds.owner(_feed_hash(token)) if 20 <= len(token) <= 100 else None
        coordinator = self.config.programme.coordinator(Actor.telegram(owner)) if owner is not None else None
        if coordinator is None:
            raise user_error(PermissionDeniedError, "This calendar address is not valid (any more).")
        programme = self.config.programme
        return schedule_ics(
            await export_rows(self.root.uow_factory, coordinator.language), self.now(),
            organizer_name=programme.organizer_name, organizer_email=programme.organizer_email,
            language=coordinator.language, zone=programme.timezone,
        )


def _feed_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

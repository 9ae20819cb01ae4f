"""The example programme of the offline demo and the tests: Panjin and European pilot cities.

``scenario.toml`` beside this module is a copy of the programme's shared example (its facts are
tested: 11 matches, the EU clock change, China's Qingming holiday), embedded so that ``tandem
demo`` runs anywhere; ``--scenario PATH`` plays another file of the same form.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import (
    Config,
    CoordinatorConfig,
    ProgrammeConfig,
    SchedulingConfig,
    TopicConfig,
    parse_instant,
)
from bot.domain import Pairing
from bot.i18n import SUPPORTED_LANGUAGES

EMBEDDED = Path(__file__).with_name("scenario.toml")


class ScenarioError(Exception):
    """The scenario file cannot be played; the message names the entry."""


@dataclass(frozen=True)
class ScenarioPerson:
    telegram_id: int
    name: str
    language: str  # as the person's Telegram app reports it (may be unsupported, e.g. "it")


@dataclass(frozen=True)
class ScenarioCity:
    name: str
    country: str
    timezone: str
    group: str
    hours: str
    topics: tuple[str, ...]
    away: tuple[date, ...]
    contacts: tuple[ScenarioPerson, ...]


@dataclass(frozen=True)
class Scenario:
    now_utc: datetime
    programme: ProgrammeConfig
    scheduling: SchedulingConfig
    coordinators: tuple[ScenarioPerson, ...]
    cities: tuple[ScenarioCity, ...]

    def config(self, **sections: object) -> Config:
        """A Config for this programme; ``sections`` adds the deployment parts (database, telegram)."""
        return Config(programme=self.programme, scheduling=self.scheduling, **sections)  # type: ignore[arg-type]

    @property
    def expected_matches(self) -> int:
        """Pairs of cities of different groups (pairing "across") that share a topic, per topic."""
        count = 0
        for i, a in enumerate(self.cities):
            for b in self.cities[i + 1 :]:
                if self.programme.pairing is Pairing.ANY or a.group != b.group:
                    count += len(set(a.topics) & set(b.topics))
        return count


def _people(items: list[dict[str, Any]]) -> tuple[ScenarioPerson, ...]:  # parsed TOML
    return tuple(ScenarioPerson(int(p["telegram_id"]), str(p["name"]), str(p.get("language", "en"))) for p in items)


def load_scenario(path: Path = EMBEDDED) -> Scenario:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    try:
        programme_data, scheduling_data = data["programme"], data["scheduling"]
        coordinators = _people(data["coordinators"])
        topics = tuple(
            TopicConfig(t["key"], {lang: t[lang] for lang in SUPPORTED_LANGUAGES if lang in t}) for t in data["topics"]
        )
        programme = ProgrammeConfig(
            name=programme_data["name"],
            pairing=Pairing(programme_data.get("pairing", "across")),
            groups=tuple(programme_data.get("groups", ())),
            timezone="Europe/Brussels",
            topics=topics,
            coordinators=tuple(
                CoordinatorConfig(c.telegram_id, c.name, c.language if c.language in SUPPORTED_LANGUAGES else "en")
                for c in coordinators
            ),
        )
        scheduling = SchedulingConfig(
            horizon=timedelta(days=int(scheduling_data["horizon_days"])),
            duration=timedelta(minutes=int(scheduling_data["duration_minutes"])),
            granularity=timedelta(minutes=int(scheduling_data["granularity_minutes"])),
            min_notice=timedelta(hours=int(scheduling_data["min_notice_hours"])),
            max_sessions_per_city_per_day=int(scheduling_data["max_sessions_per_city_per_day"]),
        )
        cities = tuple(
            ScenarioCity(
                name=c["name"],
                country=c["country"],
                timezone=c["timezone"],
                group=c["group"],
                hours=c["hours"],
                topics=tuple(c.get("topics", ())),
                away=tuple(date.fromisoformat(d) for d in c.get("away", ())),
                contacts=_people(c.get("contacts", [])),
            )
            for c in data["cities"]
        )
        return Scenario(parse_instant(programme_data["now"]), programme, scheduling, coordinators, cities)
    except (KeyError, TypeError, ValueError) as exc:
        raise ScenarioError(f"{path}: missing or malformed entry: {exc}") from None

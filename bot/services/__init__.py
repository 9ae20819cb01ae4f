"""The use cases. Each service call opens one unit of work and returns domain objects."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.clock import Clock
from bot.config import Config
from bot.ports import NoWakeups, UnitOfWorkFactory, Wakeups
from bot.services.availability import AvailabilityService
from bot.services.board import BoardService
from bot.services.cities import CityService
from bot.services.delivery import DeliveryService
from bot.services.health import HealthService
from bot.services.interests import InterestService
from bot.services.mail_in import MailInService
from bot.services.matching import MatchingService
from bot.services.official_days import OfficialDaysService
from bot.services.onboarding import OnboardingService
from bot.services.people import PeopleService
from bot.services.planning import PlanningService
from bot.services.sessions import SessionService
from bot.services.sign_in import SignInService


@dataclass
class Services:
    """Everything a handler or job may call, built once by the composition root."""

    config: Config
    clock: Clock
    uow_factory: UnitOfWorkFactory
    wakeups: Wakeups = field(default_factory=NoWakeups)
    delivery: DeliveryService | None = None  # sends the outbox; None where nothing is sent (the CLI)

    # The chat's use cases; each reads the parts above from this root when it is called.
    people: PeopleService = field(init=False)
    cities: CityService = field(init=False)
    onboarding: OnboardingService = field(init=False)
    interests: InterestService = field(init=False)
    availability: AvailabilityService = field(init=False)
    matching: MatchingService = field(init=False)
    planning: PlanningService = field(init=False)  # one planning run at a time in this process
    sessions: SessionService = field(init=False)
    mail_in: MailInService = field(init=False)  # replies by e-mail to the organizer's mailbox
    official_days: OfficialDaysService = field(init=False)  # days off and working days the coordinators enter
    # The web app's own: signing in, and whether this process is healthy.
    sign_in: SignInService = field(init=False)
    health: HealthService = field(init=False)
    board: BoardService = field(init=False)  # what the coordinators' board reads

    def __post_init__(self) -> None:
        self.people = PeopleService(self)
        self.cities = CityService(self)
        self.onboarding = OnboardingService(self)
        self.interests = InterestService(self)
        self.availability = AvailabilityService(self)
        self.matching = MatchingService(self)
        self.planning = PlanningService(self)
        self.sessions = SessionService(self)
        self.mail_in = MailInService(self)
        self.official_days = OfficialDaysService(self)
        self.sign_in = SignInService(self)
        self.health = HealthService(self)
        self.board = BoardService(self)

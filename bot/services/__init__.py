"""The use cases. Each service call opens one unit of work and returns domain objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.config import Config
from bot.ports import NoWakeups, UnitOfWorkFactory, Wakeups

if TYPE_CHECKING:
    from bot.services.availability import AvailabilityService
    from bot.services.cities import CityService
    from bot.services.delivery import DeliveryService
    from bot.services.health import HealthService
    from bot.services.interests import InterestService
    from bot.services.matching import MatchingService
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
    delivery: DeliveryService | None = None  # sends the outbox; set by the composition root

    # The chat's use cases, built on first use; each reads ``wakeups`` at call time.
    @cached_property
    def people(self) -> PeopleService:
        from bot.services.people import PeopleService

        return PeopleService(self)

    @cached_property
    def cities(self) -> CityService:
        from bot.services.cities import CityService

        return CityService(self)

    @cached_property
    def onboarding(self) -> OnboardingService:
        from bot.services.onboarding import OnboardingService

        return OnboardingService(self)

    @cached_property
    def interests(self) -> InterestService:
        from bot.services.interests import InterestService

        return InterestService(self)

    @cached_property
    def availability(self) -> AvailabilityService:
        from bot.services.availability import AvailabilityService

        return AvailabilityService(self)

    @cached_property
    def matching(self) -> MatchingService:
        from bot.services.matching import MatchingService

        return MatchingService(self)

    # Planning and sessions: what coordinators confirm, and what everyone is invited to.
    @cached_property
    def planning(self) -> PlanningService:
        from bot.services.planning import PlanningService

        return PlanningService(self)

    @cached_property
    def sessions(self) -> SessionService:
        from bot.services.sessions import SessionService

        return SessionService(self)

    # The web app: signing in, and whether this process is healthy.
    @cached_property
    def sign_in(self) -> SignInService:
        from bot.services.sign_in import SignInService

        return SignInService(self)

    @cached_property
    def health(self) -> HealthService:
        from bot.services.health import HealthService

        return HealthService(self)

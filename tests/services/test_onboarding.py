"""Invite links: one-time, expiring, stored hashed; a bad code binds nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.domain import Actor, ConflictError, InvalidInputError, PermissionDeniedError, Role
from bot.services import Services
from bot.services.onboarding import hash_join_code
from storage.models import JoinLinkRow
from tests.services.conftest import COORDINATOR, add_city


async def _join(services: Services, user: int, code: str) -> object:
    return await services.onboarding.join(by=Actor.telegram(user), chat_id=user, display_name=f"u{user}", language_code="de", code=code)


async def test_opening_the_link_makes_the_user_the_city_contact(services: Services) -> None:
    city_id = await add_city(services, "Hamburg", "DE", "Europe/Berlin", "EU")
    invitation = await services.onboarding.contact_link(by=Actor.telegram(COORDINATOR), city_name="hamburg")
    person = await _join(services, 3001, invitation.code)
    assert person.role is Role.CONTACT and person.city.id == city_id and person.language == "de"


async def test_only_the_hash_of_a_code_is_stored(services: Services, uow_factory) -> None:
    await add_city(services, "Hamburg", "DE", "Europe/Berlin", "EU")
    invitation = await services.onboarding.contact_link(by=Actor.telegram(COORDINATOR), city_name="Hamburg")
    async with uow_factory() as uow:
        stored = list(await uow.contacts.db.scalars(select(JoinLinkRow.code_hash)))
    assert stored == [hash_join_code(invitation.code)]
    assert invitation.code not in stored and len(invitation.code) >= 24


async def test_a_wrong_code_binds_nothing(services: Services) -> None:
    await add_city(services, "Hamburg", "DE", "Europe/Berlin", "EU")
    for code in ("nonsense-code-that-was-never-issued", "short", "<script>"):
        with pytest.raises(InvalidInputError, match="not valid"):
            await _join(services, 3001, code)
    assert (await services.people.who(Actor.telegram(3001))).is_stranger


async def test_a_used_code_binds_nobody_else(services: Services) -> None:
    await add_city(services, "Hamburg", "DE", "Europe/Berlin", "EU")
    invitation = await services.onboarding.contact_link(by=Actor.telegram(COORDINATOR), city_name="Hamburg")
    await _join(services, 3001, invitation.code)
    with pytest.raises(InvalidInputError, match="used already"):
        await _join(services, 3002, invitation.code)
    assert (await services.people.who(Actor.telegram(3002))).is_stranger
    again = await _join(services, 3001, invitation.code)  # the owner opening it again is harmless
    assert again.city.name == "Hamburg"


async def test_an_expired_code_binds_nothing(services: Services, clock: ManualClock) -> None:
    await add_city(services, "Hamburg", "DE", "Europe/Berlin", "EU")
    invitation = await services.onboarding.contact_link(by=Actor.telegram(COORDINATOR), city_name="Hamburg")
    clock.advance(services.config.invites.code_ttl + timedelta(seconds=1))
    with pytest.raises(InvalidInputError, match="expired"):
        await _join(services, 3001, invitation.code)
    assert (await services.people.who(Actor.telegram(3001))).is_stranger


async def test_a_contact_of_one_city_cannot_join_another(services: Services) -> None:
    await add_city(services, "Hamburg", "DE", "Europe/Berlin", "EU")
    await add_city(services, "Panjin", "CN", "Asia/Shanghai", "China")
    await _join(services, 3001, (await services.onboarding.contact_link(by=Actor.telegram(COORDINATOR), city_name="Hamburg")).code)
    second = await services.onboarding.contact_link(by=Actor.telegram(COORDINATOR), city_name="Panjin")
    with pytest.raises(ConflictError, match="Hamburg"):
        await _join(services, 3001, second.code)
    assert (await services.people.who(Actor.telegram(3001))).city.name == "Hamburg"
    await _join(services, 3002, second.code)  # the code was not spent by the refused attempt


async def test_a_contact_invites_a_colleague_as_participant(services: Services) -> None:
    await add_city(services, "Hamburg", "DE", "Europe/Berlin", "EU")
    await _join(services, 3001, (await services.onboarding.contact_link(by=Actor.telegram(COORDINATOR), city_name="Hamburg")).code)
    colleague_link = await services.onboarding.colleague_link(by=Actor.telegram(3001))
    colleague = await _join(services, 3002, colleague_link.code)
    assert colleague.role is Role.PARTICIPANT and colleague.city.name == "Hamburg"
    with pytest.raises(PermissionDeniedError):
        await services.onboarding.colleague_link(by=Actor.telegram(3002))
    with pytest.raises(PermissionDeniedError):
        await services.interests.overview(by=Actor.telegram(3002))  # participants do not change the city's topics

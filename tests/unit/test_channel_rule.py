"""The one channel rule, for every kind of message, every shape of person, with e-mail on and off.

Telegram when the person has a reachable chat; e-mail when they have an address and e-mail is on;
a calendar file (invitation, update, cancellation) on every channel they have; a sign-in link
(asked for by address on the web's sign-in page) and the answer to a time proposed from a
calendar (iTIP DECLINECOUNTER) by e-mail only; everything else on Telegram when
reachable, else by e-mail.
"""

from __future__ import annotations

import pytest

from bot.domain import Channel, Contact, NoticeKind, Role
from bot.notices import RENDERERS

T, E = Channel.TELEGRAM, Channel.EMAIL

SHAPES = {
    "telegram only": dict(telegram_user_id=7, chat_id=7),
    "telegram and e-mail": dict(telegram_user_id=7, chat_id=7, email="li.wei@panjin.example.cn"),
    "e-mail only": dict(email="wang.fang@panjin.example.cn"),
    "blocked the bot, has e-mail": dict(telegram_user_id=7, chat_id=7, email="li.wei@panjin.example.cn", reachable=False),
    "blocked the bot, no e-mail": dict(telegram_user_id=7, chat_id=7, reachable=False),
    "neither": dict(),
}

# shape -> e-mail on? -> (channels of a calendar file, channels of everything else); written out
# by hand, not computed, so that a change of the rule shows up here.
EXPECTED = {
    "telegram only": {True: ((T,), (T,)), False: ((T,), (T,))},
    "telegram and e-mail": {True: ((T, E), (T,)), False: ((T,), (T,))},
    "e-mail only": {True: ((E,), (E,)), False: ((), ())},
    "blocked the bot, has e-mail": {True: ((E,), (E,)), False: ((), ())},
    "blocked the bot, no e-mail": {True: ((), ()), False: ((), ())},
    "neither": {True: ((), ()), False: ((), ())},
}
# shape -> e-mail on? -> channels of a sign-in link: the address it was asked for, or nothing.
SIGN_IN_LINK = {
    "telegram only": {True: (), False: ()},
    "telegram and e-mail": {True: (E,), False: ()},
    "e-mail only": {True: (E,), False: ()},
    "blocked the bot, has e-mail": {True: (E,), False: ()},
    "blocked the bot, no e-mail": {True: (), False: ()},
    "neither": {True: (), False: ()},
}


def person(shape: str) -> Contact:
    return Contact(id=1, display_name="Li Wei", role=Role.CONTACT, language="zh", city_id=3, **SHAPES[shape])  # type: ignore[arg-type]


def test_calendar_files_are_the_invitation_the_update_and_the_cancellation() -> None:
    assert {kind for kind in NoticeKind if kind.carries_calendar} == {NoticeKind.INVITATION, NoticeKind.UPDATE, NoticeKind.CANCELLATION}


@pytest.mark.parametrize("email_enabled", [True, False], ids=["e-mail on", "e-mail off"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", list(NoticeKind), ids=[k.value for k in NoticeKind])
def test_each_kind_goes_to_each_person_on_the_channels_of_the_one_rule(kind: NoticeKind, shape: str, email_enabled: bool) -> None:
    calendar, other = EXPECTED[shape][email_enabled]
    expected = calendar if kind in (NoticeKind.INVITATION, NoticeKind.UPDATE, NoticeKind.CANCELLATION) else other
    if kind in (NoticeKind.SIGN_IN_LINK, NoticeKind.COUNTER_DECLINED):
        expected = SIGN_IN_LINK[shape][email_enabled]
    assert person(shape).channels_for(kind, email_enabled=email_enabled) == expected


def test_every_kind_has_its_renderer_in_the_one_table_and_the_table_nothing_else() -> None:
    assert set(RENDERERS) == set(NoticeKind)

"""Choosing a session's meeting link."""

from __future__ import annotations

import pytest

from bot.domain import InvalidInputError
from bot.meeting_links import (
    DEFAULT_TEMPLATE,
    choose_meeting_link,
    meeting_provider,
    new_room_token,
    room_link,
    room_token_from_bytes,
)

TENCENT = "https://meeting.tencent.com/dm/AbCdEf123"
VOOV = "https://voovmeeting.com/dm/XyZ987"
ZOOM = "https://us02web.zoom.us/j/81234567890?pwd=abc"
TEAMS = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0"
FIXED_TOKEN = room_token_from_bytes(bytes(range(16)))


def fixed_token() -> str:
    return FIXED_TOKEN


@pytest.mark.parametrize(
    ("session_link", "city_links", "programme_link", "expected"),
    [
        (ZOOM, (TENCENT, VOOV), TEAMS, ZOOM),  # the session's own link wins
        (None, (TENCENT, VOOV), TEAMS, TENCENT),  # then the first city that has one
        (None, (None, VOOV), TEAMS, VOOV),
        (None, (None, None), TEAMS, TEAMS),  # then the programme's
        ("  ", ("",), None, "https://meet.jit.si/tandem-" + FIXED_TOKEN),  # blanks count as unset
        (None, (), None, "https://meet.jit.si/tandem-" + FIXED_TOKEN),  # else a new Jitsi room
    ],
)
def test_most_specific_fixed_link_wins_else_a_new_room(
    session_link: str | None, city_links: tuple[str | None, ...], programme_link: str | None, expected: str
) -> None:
    link = choose_meeting_link(
        session_link=session_link, city_links=city_links, programme_link=programme_link, make_token=fixed_token,
    )
    assert link == expected


def test_room_is_made_only_when_no_fixed_link_exists() -> None:
    def must_not_be_called() -> str:
        raise AssertionError("a token was drawn although a fixed link exists")

    assert choose_meeting_link(programme_link=TEAMS, make_token=must_not_be_called) == TEAMS


def test_custom_template_places_the_room_name() -> None:
    link = choose_meeting_link(template="https://jitsi.city.example/{room}#config.startWithVideoMuted=true",
                               make_token=fixed_token)
    assert link == f"https://jitsi.city.example/tandem-{FIXED_TOKEN}#config.startWithVideoMuted=true"


def test_room_token_carries_128_bits_in_lower_case_base32() -> None:
    assert FIXED_TOKEN == "aaaqeayeaudaocajbifqydiob4"
    assert len(FIXED_TOKEN) == 26


def test_new_room_tokens_are_unguessable_and_distinct() -> None:
    tokens = {new_room_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(len(t) == 26 and t.isalnum() and t == t.lower() for t in tokens)


def test_default_template_is_a_jitsi_room() -> None:
    assert DEFAULT_TEMPLATE == "https://meet.jit.si/{room}"
    assert meeting_provider(room_link(DEFAULT_TEMPLATE, FIXED_TOKEN)) == "jitsi"


@pytest.mark.parametrize(
    ("link", "provider"),
    [(TENCENT, "tencent-meeting"), (VOOV, "voov"), (ZOOM, "zoom"), (TEAMS, "teams"),
     ("https://meet.example.org/x", None)],
)
def test_provider_is_recognised_from_the_host(link: str, provider: str | None) -> None:
    assert meeting_provider(link) == provider


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"template": "https://meet.jit.si/room"}, r"\{room\}"),
        ({"template": "https://meet.jit.si/{room}/{room}"}, r"\{room\}"),
        ({"template": "meet.jit.si/{room}"}, "http"),
        ({"city_links": ("zoom.us/j/123",)}, "'zoom.us/j/123'"),
        ({"session_link": "ftp://files.example/x"}, "'ftp://files.example/x'"),
    ],
)
def test_bad_link_or_template_is_refused_naming_it(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        choose_meeting_link(make_token=fixed_token, **kwargs)  # type: ignore[arg-type]


def test_too_few_random_bytes_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="16 random bytes"):
        room_token_from_bytes(b"short")

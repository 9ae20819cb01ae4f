"""Sessions: coordinators confirm, reschedule and cancel; everyone sees what is coming.

Every action takes ``by`` (the ``Actor`` who pressed, typed or submitted) and checks it here, on
every call: a button shown to a coordinator an hour ago proves nothing now. Where two
coordinators can race, the database decides (``matches.transition`` and ``sessions.reschedule``
are conditional updates): the first tap wins and the second is told who was first.

Invitations, updates and cancellations are queued as notices (``bot.notices``) for every
participant, by Telegram and, where an address is known, by e-mail; they are rendered at send
time from the session's state, so an invite overtaken by a reschedule is dropped, never sent.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.config import Config
from bot.domain import (
    Actor,
    Attendance,
    ConflictError,
    Contact,
    InvalidInputError,
    Match,
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
    whole_number,
)
from bot.invites import build_invite, invite_filename
from bot.meeting_links import choose_meeting_link, new_room_token
from bot.notices.outbox import NoticeSink, queue_notice
from bot.notices.reminders import drop_reminders, queue_reminders
from bot.notices.sessions import invite_event, zone_of
from bot.planner.queries import candidate_slots
from bot.ports import UnitOfWork
from bot.services.base import ServiceBase
from bot.services.errors import user_error
from bot.services.planning import planning_problem

log = logging.getLogger(__name__)


class AlreadyConfirmedError(ConflictError):
    """Another coordinator confirmed this match first."""

    def __init__(self, view: SessionView, confirmed_by: str) -> None:
        super().__init__(f"already confirmed by {confirmed_by}")
        self.view, self.confirmed_by = view, confirmed_by
        self.msgid, self.values = "Already confirmed by {name}.", {"name": confirmed_by}


class SessionChangedError(ConflictError):
    """A button drawn for an earlier state of the session: it moved or was cancelled since.

    Carries the session as it is now, so the answer can say what happened ("This time was offered
    before the session moved to …") instead of a vague "someone changed it first".
    """

    def __init__(self, view: SessionView) -> None:
        cancelled = view.session.status is SessionStatus.CANCELLED
        super().__init__("the session was cancelled" if cancelled else f"the session moved to {view.session.start_utc:%Y-%m-%d %H:%M} UTC")
        self.view, self.cancelled = view, cancelled
        if cancelled:
            self.msgid, self.values = "This session was cancelled; nothing changed.", {}
        else:
            self.msgid, self.values = "This session was moved since; nothing changed. See /schedule.", {}


class SlotTakenError(ConflictError):
    """The slot is no longer on offer (re-planned, or another session took the time)."""


@dataclass(frozen=True)
class PendingMatch(MatchView):
    """A match waiting for a coordinator: its offered slots, best first (none: no common time)."""

    slots: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class MySession:
    """A session as one person of its cities sees it on the web."""

    view: SessionView
    answer: Attendance | None  # their answer; None when they are not invited (joined later)
    can_report: bool  # a contact of the city, and the session is over
    report: RoadmapEntry | None  # what their city said afterwards, if it did
    past: bool


# The sessions page shows those of the last month too, so a city can report on them.
REPORTS_WINDOW = timedelta(days=30)

CANCEL_REASON_STEP = "cancel_reason"
NEXT_STEPS_STEP = "next_steps"
MAX_REASON_LENGTH = 500
MAX_NEXT_STEPS_LENGTH = 2000
# Asked a little after the session ends, when the people who were there are still at their desk.
FOLLOW_UP_AFTER_END = timedelta(minutes=30)
# Lists of what is coming still show a session that began up to two hours ago (it may be running).
RECENTLY_BEGUN = timedelta(hours=2)


async def record_attendance(
    uow: UnitOfWork, config: Config, session: Session, contact: Contact, attend: bool, now: datetime,
    *, answered_sequence: int | None = None, participants: list[Contact] | None = None, sink: NoticeSink | None = None,
) -> bool:
    """Record one participant's answer and tell the coordinators and the partner city; False if not invited.

    The one way an answer is recorded, whether it came from the chat's buttons, the web page or a
    calendar's reply by e-mail (``bot.services.mail_in``). A calendar may answer an earlier
    version of the invitation (``answered_sequence`` below the session's): the answer counts, and
    the notice says it was given for an earlier time. Telling twice is a no-op (the key).
    ``participants``: the session's, when the caller has just read them; ``sink``: where the
    notices go (``queue_notice``).
    """
    answer = Attendance.YES if attend else Attendance.NO
    if not await uow.sessions.answer(session.id, contact.id, answer, now):
        return False
    earlier = answered_sequence is not None and answered_sequence < session.sequence
    if participants is None:
        participants = [c for c, _ in await uow.sessions.participants(session.id)]
    informed = [
        c for c in participants
        if c.id != contact.id and (c.role is Role.COORDINATOR or c.city_id != contact.city_id)
    ]
    payload: dict[str, object] = {"session_id": session.id, "who": contact.id, "answer": answer.value}
    if earlier:
        payload["earlier_sequence"] = answered_sequence
    await queue_notice(
        uow, NoticeKind.ATTENDANCE, informed,
        key=f"{NoticeKind.ATTENDANCE.value}:{session.id}:{contact.id}:{answer.value}:{session.sequence}" + (":earlier" if earlier else ""),
        due_utc=now, payload=payload, email_enabled=config.email.enabled, session_id=session.id, sink=sink,
    )
    return True


def _next_steps(text: str) -> str:
    next_steps = " ".join(text.split())
    if not next_steps or len(next_steps) > MAX_NEXT_STEPS_LENGTH:
        raise user_error(InvalidInputError, "Please describe the next steps in at most {limit} characters.", limit=MAX_NEXT_STEPS_LENGTH)
    return next_steps


class SessionService(ServiceBase):
    make_room_token: Callable[[], str] = staticmethod(new_room_token)

    # ----------------------------------------------------------------------------- reading

    async def pending(self, *, by: Actor) -> list[PendingMatch]:
        """Planned matches with their offered slots, and matches without a common time (two queries)."""
        self.require_coordinator(by)
        async with self.reading() as uow:
            views = await uow.matches.views(statuses=[MatchStatus.PLANNED, MatchStatus.UNSCHEDULABLE])
            slots = await uow.matches.proposals_of([v.match.id for v in views])
        return [PendingMatch(**vars(v), slots=tuple(start for start, _ in slots.get(v.match.id, ()))) for v in views]

    async def schedule(self, *, by: Actor) -> list[SessionView]:
        """Every confirmed session still to come (coordinators)."""
        self.require_coordinator(by)
        async with self.reading() as uow:
            return await uow.sessions.views(statuses=[SessionStatus.CONFIRMED], after_utc=self.now() - RECENTLY_BEGUN)

    async def upcoming_for(self, *, by: Actor) -> list[SessionView]:
        """The sessions of the caller's city (contacts and participants), or all (coordinators)."""
        if self.config.programme.coordinator(by) is not None:
            return await self.schedule(by=by)
        async with self.reading() as uow:
            contact = (await self.person(uow, by)).contact
            if contact is None or contact.city_id is None:
                raise user_error(PermissionDeniedError, "You are not registered yet: open the invite link you were given.")
            return await uow.sessions.views(
                statuses=[SessionStatus.CONFIRMED], after_utc=self.now() - RECENTLY_BEGUN, city_id=contact.city_id
            )

    # ----------------------------------------------------------------------------- acting

    async def confirm(self, match_id: int, start_utc: datetime, *, by: Actor | None) -> SessionView:
        """Confirm one of the offered slots; the first tap wins. ``by=None``: automatic confirmation."""
        self.require_coordinator(by)
        now = self.now()
        async with self.uow() as uow:
            match = await uow.matches.get(match_id)
            if match is None:
                raise user_error(NotFoundError, "This match no longer exists.")
            if match.status is MatchStatus.CONFIRMED:
                raise await self._already_confirmed(uow, match)
            if match.status is MatchStatus.CANCELLED:
                cancelled = await uow.sessions.of_match(match_id)
                if cancelled is not None:  # confirmed, then cancelled: say so, not "no longer on offer"
                    raise SessionChangedError(await self._session_view(uow, cancelled))
            offered = [start for start, _ in await uow.matches.proposals(match_id)]
            if match.status is not MatchStatus.PLANNED or start_utc not in offered:
                raise user_error(SlotTakenError, "This time is no longer on offer; see /pending for the current ones.")
            await self._require_free(uow, match, start_utc, now)
            if not await uow.matches.transition(match_id, [MatchStatus.PLANNED], MatchStatus.CONFIRMED, now):
                raise await self._already_confirmed(uow, await uow.matches.get(match_id))
            pair = await uow.matches.view(match_id)
            assert pair is not None  # the match was read in this transaction
            link = choose_meeting_link(
                city_links=[pair.city_a.meeting_link, pair.city_b.meeting_link],
                programme_link=self.config.meeting.link or None,
                template=self.config.meeting.link_template,
                make_token=self.make_room_token,
            )
            session = await uow.sessions.add(
                match_id=match_id,
                start_utc=start_utc,
                duration_minutes=int(self.config.scheduling.duration.total_seconds() // 60),
                meeting_link=link,
                ical_uid=f"{uuid.uuid4()}@tandem",
                confirmed_by=by.telegram_user_id if by is not None else None,
                now_utc=now,
            )
            if session is None:  # the database's own guard: one session per match
                raise await self._already_confirmed(uow, match)
            participants = await self._participants_of(uow, match)
            await uow.sessions.add_participants(session.id, [p.id for p in participants])
            await self._announce(uow, session, match, participants, now)
            view = await self._session_view(uow, session)
            await uow.commit()
        self.wakeups.outbox_changed(now)
        self.wakeups.planning_needed()  # the other proposals of these cities may have changed
        return view

    async def confirm_best(self, match_id: int) -> bool:
        """Automatic confirmation of the planner's first choice; False if someone was quicker."""
        async with self.uow() as uow:
            proposals = await uow.matches.proposals(match_id)
        if not proposals:
            return False
        try:
            await self.confirm(match_id, proposals[0][0], by=None)
        except ConflictError:
            return False
        return True

    async def reschedule(self, session_id: int, start_utc: datetime, *, by: Actor, expected_sequence: int) -> SessionView:
        """Move a session to ``start_utc``: same UID, higher SEQUENCE, reminders moved."""
        self.require_coordinator(by)
        now = self.now()
        async with self.uow() as uow:
            current = await uow.sessions.get(session_id)
            if current is None:
                raise user_error(NotFoundError, "This session was cancelled or no longer exists.")
            if current.status is SessionStatus.CANCELLED or current.sequence != expected_sequence:
                raise SessionChangedError(await self._session_view(uow, current))  # the button is older than the session
            if start_utc == current.start_utc:
                raise user_error(SlotTakenError, "The session is already at this time.")
            match = await uow.matches.get(current.match_id)
            assert match is not None  # a session's match is deleted only with it
            await self._require_free(uow, match, start_utc, now, exclude_session_id=session_id)
            session = await uow.sessions.reschedule(
                session_id, expected_sequence=expected_sequence, start_utc=start_utc, now_utc=now
            )
            if session is None:  # changed between our read and our write: say how it is now
                changed = await uow.sessions.get(session_id)
                if changed is None:
                    raise user_error(NotFoundError, "This session was cancelled or no longer exists.")
                raise SessionChangedError(await self._session_view(uow, changed))
            participants = [c for c, _ in await uow.sessions.participants(session_id)]
            await self._withdraw(uow, session_id, "rescheduled")
            await self._announce(uow, session, match, participants, now)
            view = await self._session_view(uow, session)
            await uow.commit()
        self.wakeups.outbox_changed(now)
        self.wakeups.planning_needed()  # the other proposals of these cities may have changed
        return view

    async def reschedule_options(self, session_id: int, *, by: Actor) -> tuple[SessionView, list[datetime]]:
        """Other common times for a session, best first, around every other confirmed session."""
        self.require_coordinator(by)
        async with self.uow() as uow:
            session = await uow.sessions.get(session_id)
            if session is None:
                raise user_error(NotFoundError, "This session was cancelled or no longer exists.")
            if session.status is SessionStatus.CANCELLED:
                raise SessionChangedError(await self._session_view(uow, session))
            view = await self._session_view(uow, session)
            problem = await planning_problem(uow, self.config, self.now(), exclude_session_id=session_id)
        slots = candidate_slots(
            problem, view.match.city_a_id, view.match.city_b_id, session.duration_minutes,
            limit=self.config.scheduling.slots_offered + 1,
        )
        starts = [slot.start_utc for slot in slots if slot.start_utc != session.start_utc]
        return view, starts[: self.config.scheduling.slots_offered]

    async def ask_cancel_reason(self, session_id: int, *, by: Actor) -> None:
        """Wait for the reason of a cancellation (the next free text of ``by``)."""
        self.require_coordinator(by)
        async with self.uow() as uow:
            session = await uow.sessions.get(session_id)
            if session is None:
                raise user_error(ConflictError, "This session is already cancelled.")
            if session.status is SessionStatus.CANCELLED:
                raise SessionChangedError(await self._session_view(uow, session))
            await self.wait(uow, by, CANCEL_REASON_STEP, {"session_id": session_id})
            await uow.commit()

    async def cancel_with_reason(self, text: str, *, by: Actor) -> SessionView:
        """The free text after "Cancel": cancel the session the bot was waiting about."""
        reason = " ".join(text.split())
        if len(reason) > MAX_REASON_LENGTH:
            raise user_error(InvalidInputError, "A reason may be at most {limit} characters long.", limit=MAX_REASON_LENGTH)
        async with self.uow() as uow:
            payload = await self.awaited_text(uow, by, CANCEL_REASON_STEP, "session_id", "I was not waiting for a reason; use /schedule.")
            await self.wait(uow, by, None)
            await uow.commit()
        return await self.cancel(whole_number(payload, "session_id"), reason, by=by)

    async def cancel(self, session_id: int, reason: str, *, by: Actor) -> SessionView:
        """Cancel a session: METHOD:CANCEL to everyone, reminders dropped, the match closed."""
        self.require_coordinator(by)
        now = self.now()
        async with self.uow() as uow:
            session = await uow.sessions.cancel(session_id, now_utc=now)
            if session is None:
                raise user_error(ConflictError, "This session is already cancelled.")
            await uow.matches.transition(
                session.match_id, [MatchStatus.CONFIRMED], MatchStatus.CANCELLED, now, reason=reason.strip() or None
            )
            participants = [c for c, _ in await uow.sessions.participants(session_id)]
            await self._withdraw(uow, session_id, "cancelled")
            match = await uow.matches.get(session.match_id)
            assert match is not None
            await self._queue_invitations(uow, session, match, participants, now, reason=reason)
            view = await self._session_view(uow, session)
            await uow.commit()
        self.wakeups.outbox_changed(now)
        self.wakeups.planning_needed()  # the other proposals of these cities may have changed
        return view

    async def answer(self, session_id: int, attend: bool, *, by: Actor) -> SessionView:
        """A participant's "I'll attend" / "I can't attend"; coordinators and the partner city are told."""
        now = self.now()
        async with self.uow() as uow:
            contact = (await self.person(uow, by)).contact
            session = await uow.sessions.get(session_id)
            if contact is None or session is None:
                raise user_error(NotFoundError, "This session no longer exists.")
            if session.status is SessionStatus.CANCELLED:
                raise user_error(ConflictError, "This session was cancelled.")
            if not await record_attendance(uow, self.config, session, contact, attend, now):
                raise user_error(PermissionDeniedError, "You are not invited to this session.")
            view = await self._session_view(uow, session)
            await uow.commit()
        self.wakeups.outbox_changed(now)
        return view

    async def decline_counter(self, session_id: int, contact_id: int, *, by: Actor, expected_sequence: int) -> SessionView:
        """Keep the session's time after a participant's calendar proposed another (``COUNTER``):
        their calendar gets the organizer's ``DECLINECOUNTER`` by e-mail."""
        self.require_coordinator(by)
        now = self.now()
        async with self.uow() as uow:
            session = await uow.sessions.get(session_id)
            if session is None:
                raise user_error(NotFoundError, "This session no longer exists.")
            if session.sequence != expected_sequence or session.status is SessionStatus.CANCELLED:
                raise SessionChangedError(await self._session_view(uow, session))  # moved or cancelled since the proposal
            proposer = next((c for c, _ in await uow.sessions.participants(session_id) if c.id == contact_id), None)
            if proposer is None:
                raise user_error(NotFoundError, "This person is no longer invited to the session.")
            await queue_notice(
                uow, NoticeKind.COUNTER_DECLINED, [proposer],
                key=f"{NoticeKind.COUNTER_DECLINED.value}:{session_id}:{session.sequence}", due_utc=now,
                payload={"session_id": session_id, "sequence": session.sequence},
                email_enabled=self.config.email.enabled, session_id=session_id,
            )
            view = await self._session_view(uow, session)
            await uow.commit()
        self.wakeups.outbox_changed(now)
        return view

    # ----------------------------------------------------------------------------- afterwards

    async def record_outcome(self, session_id: int, took_place: bool, *, by: Actor, next_steps: str | None = None) -> SessionView:
        """A city's contact says whether the session took place, for the programme's roadmap.

        On the web the next steps come with the answer; in the chat the bot asks for them next
        (``save_next_steps``).
        """
        steps = _next_steps(next_steps) if next_steps is not None else None
        now = self.now()
        async with self.uow() as uow:
            view, contact = await self._session_of_own_city(uow, session_id, by)
            self._require_ended(view, now)
            await self._report(uow, view, contact, took_place, steps, now)
            if steps is None:
                await self.wait(uow, by, NEXT_STEPS_STEP, {"session_id": session_id, "took_place": took_place})
            await uow.commit()
            return view

    async def save_next_steps(self, text: str, *, by: Actor) -> SessionView:
        """The free text after the follow-up question: the next steps agreed, kept with the match."""
        next_steps = _next_steps(text)
        now = self.now()
        async with self.uow() as uow:
            payload = await self.awaited_text(uow, by, NEXT_STEPS_STEP, "session_id", "I was not waiting for next steps.")
            view, contact = await self._session_of_own_city(uow, whole_number(payload, "session_id"), by)
            self._require_ended(view, now)  # the session may have been moved since the question
            await self._report(uow, view, contact, bool(payload.get("took_place")), next_steps, now)
            await self.wait(uow, by, None)
            await uow.commit()
            return view

    async def roadmap(self, *, by: Actor) -> list[tuple[SessionView, list[RoadmapEntry]]]:
        """Every confirmed session that a city reported on, with what each city said (coordinators)."""
        self.require_coordinator(by)
        async with self.reading() as uow:
            by_session: dict[int, list[RoadmapEntry]] = {}
            for entry in await uow.roadmap.list():
                by_session.setdefault(entry.session_id, []).append(entry)
            views = await uow.sessions.views(ids=by_session, statuses=[SessionStatus.CONFIRMED])
        return sorted(((view, by_session[view.session.id]) for view in views), key=lambda item: item[0].match.id)

    # ----------------------------------------------------------------------------- the web's sessions page

    async def of_my_city(self, *, by: Actor) -> list[MySession]:
        """The sessions of the person's city from a month ago on: with their answer and their city's report."""
        now = self.now()
        async with self.reading() as uow:
            person = await self.person(uow, by)
            contact = person.contact
            if contact is None or contact.city_id is None or person.role not in (Role.CONTACT, Role.PARTICIPANT):
                raise user_error(PermissionDeniedError, "You are not registered yet: open the invite link you were given.")
            reports = {e.session_id: e for e in await uow.roadmap.list() if e.city_id == contact.city_id}
            answers = {session_id: answer for session_id, answer, _ in await uow.sessions.participations(contact.id)}
            views = await uow.sessions.views(statuses=[SessionStatus.CONFIRMED], after_utc=now - REPORTS_WINDOW, city_id=contact.city_id)
        return [
            MySession(
                view=view,
                answer=answers.get(view.session.id),
                can_report=person.role is Role.CONTACT and view.session.end_utc <= now,
                report=reports.get(view.session.id),
                past=view.session.end_utc <= now,
            )
            for view in views
        ]

    async def calendar_file(self, session_id: int, *, by: Actor) -> tuple[str, bytes]:
        """The session's ``.ics`` for one of its participants, in their language and zone: (file name, bytes)."""
        async with self.uow() as uow:
            person = await self.person(uow, by)
            view = await uow.sessions.view(session_id)
            invited = {c.id for c, _ in await uow.sessions.participants(session_id)} if view else set()
            if view is None or person.contact is None or person.contact.id not in invited:
                raise user_error(PermissionDeniedError, "You are not invited to this session.")
            event = await invite_event(uow, self.config, view)
        zone = zone_of(self.config, view, person.contact)
        ics = build_invite(
            event, recipient_language=person.language, recipient_zone=zone, recipient_email=person.contact.email,
            dtstamp_utc=self.now(), reminder_offsets=self.config.reminders.offsets,
        )
        return invite_filename(event, zone), ics

    async def _session_of_own_city(self, uow: UnitOfWork, session_id: int, by: Actor) -> tuple[SessionView, Contact]:
        """The session, if ``by`` is a contact of one of its two cities."""
        contact = (await self.person(uow, by)).contact
        view: SessionView | None = await uow.sessions.view(session_id)
        if view is None or view.session.status is SessionStatus.CANCELLED:
            raise user_error(NotFoundError, "This session was cancelled or no longer exists.")
        if contact is None or contact.role is not Role.CONTACT or not view.match.involves(contact.city_id):
            raise user_error(PermissionDeniedError, "Only the contacts of the two cities can say how their session went.")
        return view, contact

    @staticmethod
    def _require_ended(view: SessionView, now: datetime) -> None:
        """How a session went can be told once it is over, not before (a forged or kept follow-up
        button, or a session moved to later after the question was asked)."""
        if now < view.session.end_utc:
            raise user_error(
                ConflictError, "Session #{id} has not ended yet, so there is nothing to report; nothing was recorded. Tell how it went once it is over.",
                id=view.session.id,
            )

    @staticmethod
    async def _report(uow: UnitOfWork, view: SessionView, contact: Contact, took_place: bool, next_steps: str | None, now: datetime) -> None:
        assert contact.city_id is not None  # a city's contact (_session_of_own_city)
        entry = RoadmapEntry(view.match.id, view.session.id, contact.city_id, contact.display_name, took_place, next_steps, now)
        await uow.roadmap.record(entry)

    # ----------------------------------------------------------------------------- helpers

    async def _participants_of(self, uow: UnitOfWork, match: Match) -> list[Contact]:
        people = await uow.contacts.of_city(match.city_a_id) + await uow.contacts.of_city(match.city_b_id)
        people += await uow.contacts.with_role(Role.COORDINATOR)
        return [p for p in people if p.role in (Role.CONTACT, Role.PARTICIPANT, Role.COORDINATOR)]

    async def _require_free(
        self, uow: UnitOfWork, match: Match, start_utc: datetime, now: datetime, exclude_session_id: int | None = None
    ) -> None:
        """Refuse a time that is no longer free for both cities (the rules of the planner, checked again).

        Proposals are drawn for all matches together; confirming one of them, or another
        coordinator's confirmation a moment ago, can take the time another proposal offers. So the
        tapped time is checked against the confirmed sessions now, with both cities locked until
        this transaction ends. The minimum notice is halved here: a proposal made 48 h ahead is
        still fine to confirm an hour later.
        """
        await uow.cities.lock((match.city_a_id, match.city_b_id))
        problem = await planning_problem(
            uow, self.config, now, exclude_session_id=exclude_session_id, city_ids=frozenset((match.city_a_id, match.city_b_id))
        )
        problem = replace(problem, min_notice=problem.min_notice / 2)
        duration = int(self.config.scheduling.duration.total_seconds() // 60)
        free = {slot.start_utc for slot in candidate_slots(problem, match.city_a_id, match.city_b_id, duration)}
        if start_utc not in free:
            raise user_error(SlotTakenError, "This time is no longer free for both cities; see /pending for the current ones.")

    async def _withdraw(self, uow: UnitOfWork, session_id: int, reason: str) -> None:
        """Drop what was queued for the session's old time: its reminders and follow-up questions."""
        await drop_reminders(uow, session_id, reason=reason)
        await uow.outbox.drop_pending_for_session(session_id, [NoticeKind.FOLLOW_UP.value], reason)

    async def _announce(self, uow: UnitOfWork, session: Session, match: Match, participants: list[Contact], now: datetime) -> None:
        """The invitation (or update) to everyone, their reminders, and the follow-up question to the contacts."""
        email_enabled = self.config.email.enabled
        await self._queue_invitations(uow, session, match, participants, now)
        await queue_reminders(uow, session, participants, self.config.reminders.offsets, now, email_enabled=email_enabled)
        await queue_notice(
            uow, NoticeKind.FOLLOW_UP, [c for c in participants if c.role is Role.CONTACT],
            key=f"{NoticeKind.FOLLOW_UP.value}:{session.id}:{session.sequence}", due_utc=session.end_utc + FOLLOW_UP_AFTER_END,
            payload={"session_id": session.id, "sequence": session.sequence}, email_enabled=email_enabled, session_id=session.id,
        )

    async def _queue_invitations(
        self, uow: UnitOfWork, session: Session, match: Match, participants: list[Contact], now: datetime, reason: str | None = None
    ) -> None:
        """The calendar file of the session as it is now, on every channel each participant has."""
        if session.status is SessionStatus.CANCELLED:
            kind = NoticeKind.CANCELLATION
        else:
            kind = NoticeKind.UPDATE if session.sequence else NoticeKind.INVITATION
        await queue_notice(
            uow, kind, participants, key=f"{kind.value}:{session.id}:{session.sequence}", due_utc=now,
            payload={"session_id": session.id, "sequence": session.sequence, "reason": reason},
            email_enabled=self.config.email.enabled, session_id=session.id, cities=match.city_ids,
        )

    async def _already_confirmed(self, uow: UnitOfWork, match: Match | None) -> ConflictError:
        session = await uow.sessions.of_match(match.id) if match is not None else None
        if session is None:
            return user_error(SlotTakenError, "This match is no longer waiting for confirmation.")
        confirmer = "Tandem"  # confirmed automatically ([scheduling] auto_confirm)
        if session.confirmed_by is not None:
            # Their name as the programme knows it: their own in the chat, else the configuration's.
            person = await uow.contacts.by_telegram_user(session.confirmed_by)
            coordinator = self.config.programme.coordinator(Actor.telegram(session.confirmed_by))
            configured = coordinator.name if coordinator is not None and coordinator.name else str(session.confirmed_by)
            confirmer = person.display_name if person else configured
        return AlreadyConfirmedError(await self._session_view(uow, session), confirmer)

    @staticmethod
    async def _session_view(uow: UnitOfWork, session: Session) -> SessionView:
        view: SessionView | None = await uow.sessions.view(session.id)
        if view is None:
            raise user_error(NotFoundError, "This session no longer exists.")
        return view

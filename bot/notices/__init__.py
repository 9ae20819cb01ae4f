"""Every outgoing message: its kind, who queues it, and its renderer, in one table.

A feature queues a notice inside its own unit of work (``bot.notices.outbox.queue_notice``, which
applies the one channel rule, ``Contact.channels_for``); the delivery service renders each row when
it is due, in the recipient's language and zone *at that moment*, from the current state of the
database (so a reminder queued before a reschedule shows the new time, and one whose session was
cancelled is dropped), and hands it to the row's channel: Telegram (``handlers/notifier.py``) or
e-mail (``bot/email.py``). Every e-mail is assembled in ``bot.notices.rendering``, which ends each
with the person's sign-in link to the web pages. The composition root gives the delivery service
this table; nothing registers itself at import time.

====================  ==========================================  ==============================
kind                  queued by, to whom                           on which channel
====================  ==========================================  ==============================
match_notice          interests: both cities' contacts (more than  Telegram, else e-mail
                      3 waiting for one person: one digest)
match_ended           matching, interests: the partner's contacts  Telegram, else e-mail
planned_match         planning: the coordinators                   Telegram, else e-mail
unschedulable_match   planning: the coordinators                   Telegram, else e-mail
planning_digest       planning (more than 3 of the two above):     Telegram, else e-mail
                      the coordinators, one per run
invitation            sessions (confirm): every participant        every channel they have (.ics)
update                sessions (reschedule): every participant     every channel they have (.ics)
cancellation          sessions (cancel): every participant         every channel they have (.ics)
attendance            sessions (answer): coordinators, partner     Telegram, else e-mail
reminder              sessions: every participant, at offsets      Telegram, else e-mail
follow_up             sessions: the cities' contacts, afterwards   Telegram, else e-mail
contact_unreachable   delivery (blocked bot): the coordinators     Telegram, else e-mail
city_unreachable      any of the above: the coordinators, once     Telegram, else e-mail
sign_in_link          sign-in (web page): whoever has the address  e-mail only
counter_proposal      mail_in (a calendar's COUNTER): coordinators Telegram, else e-mail
counter_declined      sessions (keep the time): the proposer       e-mail only (iTIP DECLINECOUNTER)
mail_forwarded        mail_in (a reply in words): coordinators     Telegram, else e-mail
session_on_day_off    official days: the coordinators              Telegram, else e-mail
calendar_guess        planning (a guessed year): coordinators      Telegram, else e-mail
====================  ==========================================  ==============================
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain import NoticeKind
from bot.notices.matches import render_match_ended, render_match_notice
from bot.notices.official_days import render_calendar_guess, render_session_on_day_off
from bot.notices.people import render_city_unreachable, render_contact_unreachable
from bot.notices.planning import render_planned_match, render_planning_digest, render_unschedulable_match
from bot.notices.reminders import render_reminder
from bot.notices.rendering import RenderContext, Renderer
from bot.notices.replies import render_counter_declined, render_counter_proposal, render_mail_forwarded
from bot.notices.sessions import render_attendance, render_follow_up, render_invitation
from bot.notices.sign_in import render_sign_in_link

RENDERERS: Mapping[str, Renderer] = {
    NoticeKind.MATCH_NOTICE: render_match_notice,
    NoticeKind.MATCH_ENDED: render_match_ended,
    NoticeKind.PLANNED_MATCH: render_planned_match,
    NoticeKind.UNSCHEDULABLE_MATCH: render_unschedulable_match,
    NoticeKind.PLANNING_DIGEST: render_planning_digest,
    NoticeKind.INVITATION: render_invitation,
    NoticeKind.UPDATE: render_invitation,
    NoticeKind.CANCELLATION: render_invitation,
    NoticeKind.ATTENDANCE: render_attendance,
    NoticeKind.REMINDER: render_reminder,
    NoticeKind.FOLLOW_UP: render_follow_up,
    NoticeKind.CONTACT_UNREACHABLE: render_contact_unreachable,
    NoticeKind.CITY_UNREACHABLE: render_city_unreachable,
    NoticeKind.SIGN_IN_LINK: render_sign_in_link,
    NoticeKind.COUNTER_PROPOSAL: render_counter_proposal,
    NoticeKind.COUNTER_DECLINED: render_counter_declined,
    NoticeKind.MAIL_FORWARDED: render_mail_forwarded,
    NoticeKind.SESSION_ON_DAY_OFF: render_session_on_day_off,
    NoticeKind.CALENDAR_GUESS: render_calendar_guess,
}

__all__ = ["RENDERERS", "RenderContext", "Renderer"]

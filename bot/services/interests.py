"""A city's topics of interest: the multi-select list, notes, and the matches each change makes."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import Actor, City, InvalidInputError, Match, NotFoundError, Topic, whole_number
from bot.ports import UnitOfWork
from bot.services.base import ServiceBase
from bot.services.errors import user_error
from bot.services.matching import close_withdrawn, match_new_interest

NOTE_STEP = "topic_note"
MAX_NOTE_LENGTH = 500


@dataclass(frozen=True)
class TopicChoice:
    topic: Topic
    chosen: bool
    note: str | None


@dataclass(frozen=True)
class TopicsView:
    city: City
    choices: tuple[TopicChoice, ...]
    new_matches: tuple[Match, ...] = ()


class InterestService(ServiceBase):
    async def sync_topics(self) -> None:
        """Make the topic table hold the configured topics (at start-up)."""
        async with self.uow() as uow:
            await uow.topics.sync([(t.key, dict(t.titles)) for t in self.config.programme.topics])
            await uow.commit()

    async def overview(self, *, by: Actor, city_id: int | None = None) -> TopicsView:
        async with self.reading() as uow:
            _, city = await self.city_to_manage(uow, by, city_id)
            return await self._view(uow, city)

    async def choose(self, *, by: Actor, city_id: int, topic_id: int, chosen: bool) -> TopicsView:
        """Set one topic on or off. The button says which, so a double tap asks for the same state twice."""
        now = self.now()
        async with self.uow() as uow:
            _, city = await self.city_to_manage(uow, by, city_id)
            if topic_id not in await uow.topics.lock([topic_id]):  # before the interests are read: see TopicRepository.lock
                raise user_error(NotFoundError, "This topic is no longer part of the programme.")
            new_matches: list[Match] = []
            changed = await uow.interests.add(city.id, topic_id) if chosen else await uow.interests.remove(city.id, topic_id)
            if changed and chosen:
                new_matches = await match_new_interest(uow, self.config, now, city, topic_id)
            elif changed:
                await close_withdrawn(uow, self.config, now, city, topic_id)
            await uow.commit()
        if changed:
            self.wakeups.outbox_changed(now)
            self.wakeups.planning_needed()
        async with self.reading() as uow:  # after the commit: see ServiceBase.reading
            view = await self._view(uow, city)
        return TopicsView(view.city, view.choices, tuple(new_matches))

    async def ask_note(self, *, by: Actor, city_id: int, topic_id: int) -> Topic:
        """Wait for the note on one chosen topic (the next free text of ``by``)."""
        async with self.uow() as uow:
            _, city = await self.city_to_manage(uow, by, city_id)
            topic = await self._topic(uow, topic_id)
            if not any(i.topic_id == topic_id for i in await uow.interests.of_city(city.id)):
                raise user_error(InvalidInputError, "Choose the topic first; then you can add a note to it.")
            await self.wait(uow, by, NOTE_STEP, {"city_id": city.id, "topic_id": topic_id})
            await uow.commit()
            return topic

    async def set_note(self, *, by: Actor, text: str) -> TopicsView:
        """Save the note the bot was waiting for; "-" removes it."""
        note = " ".join(text.split())
        if len(note) > MAX_NOTE_LENGTH:
            raise user_error(InvalidInputError, "A note may be at most {limit} characters long.", limit=MAX_NOTE_LENGTH)
        async with self.uow() as uow:
            payload = await self.awaited_text(uow, by, NOTE_STEP, "topic_id", "I was not waiting for a note; use /topics.")
            _, city = await self.city_to_manage(uow, by, whole_number(payload, "city_id"))
            await uow.interests.set_note(city.id, whole_number(payload, "topic_id"), None if note in ("", "-") else note)
            await self.wait(uow, by, None)
            view = await self._view(uow, city)
            await uow.commit()
            return view

    async def save_choices(self, *, by: Actor, choices: dict[int, str | None], city_id: int | None = None) -> TopicsView:
        """The web's topics form: exactly the topics in ``choices`` are chosen, each with its note.

        One unit of work for the whole form; each topic that changes makes or ends matches as a
        tap in the chat does. Unknown topic ids are refused (a forged form), nothing is saved.
        """
        notes = {topic_id: " ".join((note or "").split()) or None for topic_id, note in choices.items()}
        if any(note is not None and len(note) > MAX_NOTE_LENGTH for note in notes.values()):
            raise user_error(InvalidInputError, "A note may be at most {limit} characters long.", limit=MAX_NOTE_LENGTH)
        now = self.now()
        async with self.uow() as uow:
            _, city = await self.city_to_manage(uow, by, city_id)
            topics = {t.id for t in await uow.topics.list()}
            if not set(notes) <= topics:
                raise user_error(NotFoundError, "This topic is no longer part of the programme.")
            current = {i.topic_id: i.note for i in await uow.interests.of_city(city.id)}
            await uow.topics.lock(set(notes) ^ set(current))  # the topics whose interests change
            new_matches: list[Match] = []
            changed = False
            for topic_id in sorted(topics):
                wanted, had = topic_id in notes, topic_id in current
                if wanted and not had:
                    await uow.interests.add(city.id, topic_id, notes[topic_id])
                    new_matches += await match_new_interest(uow, self.config, now, city, topic_id)
                    changed = True
                elif had and not wanted:
                    await uow.interests.remove(city.id, topic_id)
                    await close_withdrawn(uow, self.config, now, city, topic_id)
                    changed = True
                elif wanted and current[topic_id] != notes[topic_id]:
                    await uow.interests.set_note(city.id, topic_id, notes[topic_id])
            view = await self._view(uow, city)
            await uow.commit()
        if changed:
            self.wakeups.outbox_changed(now)
            self.wakeups.planning_needed()
        return TopicsView(view.city, view.choices, tuple(new_matches))

    async def _view(self, uow: UnitOfWork, city: City) -> TopicsView:
        interests = {i.topic_id: i for i in await uow.interests.of_city(city.id)}
        topics = await uow.topics.list()
        return TopicsView(
            city,
            tuple(TopicChoice(t, t.id in interests, interests[t.id].note if t.id in interests else None) for t in topics),
        )

    @staticmethod
    async def _topic(uow: UnitOfWork, topic_id: int) -> Topic:
        topic = next((t for t in await uow.topics.list() if t.id == topic_id), None)
        if topic is None:
            raise user_error(NotFoundError, "This topic is no longer part of the programme.")
        return topic

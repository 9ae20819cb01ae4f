"""The demo's web part: the e-mail-only contact of Panjin uses the pages, and ``--serve`` keeps them up.

Wang Fang, Panjin's contact who is reached by e-mail only (Telegram is blocked where she works),
asks for a sign-in link on the sign-in page, finds it in the e-mail Tandem sends to the demo's
local mail server, opens it, and sets Panjin's hours on the week grid and its topics on the topics
page -- all through an HTTP client against the real web app, served by uvicorn on 127.0.0.1 as
``tandem run`` serves it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from typing import Any

import httpx

from bot.planner import parse_weekly_hours
from bot.week_grid import cells_of, fits_the_grid

LINK = re.compile(r"https?://\S+/sign-in/[A-Za-z0-9_-]{43}")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class DemoWebError(RuntimeError):
    """The web app did not answer as a person using it would expect."""


def _csrf(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    if page.status_code != 200 or found is None:
        raise DemoWebError(f"{page.request.url.path} answered {page.status_code} without a form")
    return found.group(1)


def latest_link(mail: Sequence[bytes], address: str) -> str:
    """The sign-in link in the newest e-mail to ``address``."""
    for raw in reversed(mail):
        message = message_from_bytes(raw, policy=policy.default)
        if str(message["To"].addresses[0].addr_spec).lower() != address.lower():
            continue
        body = message.get_body(("plain",))
        found = LINK.search(str(body.get_content())) if body is not None else None
        if found:
            return found.group(0)
    raise DemoWebError(f"no e-mail with a sign-in link reached {address}")


@dataclass
class WebVisitor:
    """One person's browser, as an HTTP client with cookies; ``log`` is what they did, for the transcript."""

    base_url: str
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.http = httpx.AsyncClient(base_url=self.base_url, follow_redirects=False, timeout=30)

    async def ask_for_link(self, address: str) -> None:
        token = _csrf(await self.http.get("/sign-in"))
        answer = await self.http.post("/sign-in", data={"csrf": token, "email": address})
        if answer.status_code != 200:
            raise DemoWebError(f"asking for a sign-in link answered {answer.status_code}")
        self.log.append(f"asks for a sign-in link at {self.base_url}/sign-in")

    async def open_link(self, url: str) -> None:
        path = httpx.URL(url).path
        answer = await self.http.post(path, data={"csrf": _csrf(await self.http.get(path))})
        if answer.status_code != 303:
            raise DemoWebError(f"the sign-in link answered {answer.status_code}")
        self.log.append(f"opens the link from the e-mail: {url}")

    async def set_hours(self, text: str) -> None:
        """Paint the hours on the grid (or type them, when they do not fall on half hours)."""
        windows = parse_weekly_hours(text)
        token = _csrf(await self.http.get("/hours"))
        if fits_the_grid(windows):
            cells = [f"{day}-{slot}" for day, slot in sorted(cells_of(windows))]
            answer = await self.http.post("/hours", data={"csrf": token, "cell": cells})
            self.log.append(f"paints {len(cells)} half hours on the week grid: {text}")
        else:
            answer = await self.http.post("/hours/text", data={"csrf": token, "hours": text})
            self.log.append(f"types the hours: {text}")
        if answer.status_code != 303:
            raise DemoWebError(f"saving the hours answered {answer.status_code}")

    async def choose_topics(self, titles: Sequence[str], note: Callable[[str], str | None]) -> None:
        page = await self.http.get("/topics")
        token = _csrf(page)
        ids = dict((title.strip(), topic_id) for topic_id, title in re.findall(r'name="topic" value="(\d+)"[^>]*> ([^<]+)</label>', page.text))
        data: dict[str, Any] = {"csrf": token, "topic": [ids[title] for title in titles]}
        for title in titles:
            if note(title):
                data[f"note-{ids[title]}"] = note(title)
        answer = await self.http.post("/topics", data=data)
        if answer.status_code != 303:
            raise DemoWebError(f"saving the topics answered {answer.status_code}")
        self.log.append(f"ticks {len(titles)} topics: " + "; ".join(titles))

    async def overlap_summary(self) -> list[str]:
        page = await self.http.get("/hours")
        return [re.sub(r"<[^>]+>", "", line).strip() for line in re.findall(r"<li>(With .*?)</li>", page.text)]

    async def aclose(self) -> None:
        await self.http.aclose()

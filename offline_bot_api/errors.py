"""Bot API error answers, as Telegram words them (our code may match on these texts)."""

from __future__ import annotations

from offline_bot_api.values import JSONDict


class ApiError(Exception):
    """A Bot API error answer; raised inside a method, turned into JSON by ``answer``."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


BLOCKED = "Forbidden: bot was blocked by the user"

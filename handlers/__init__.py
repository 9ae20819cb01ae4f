"""Telegram handlers. ``register`` is the one place where every handler is wired, in order."""

from __future__ import annotations

from telegram.ext import Application

from handlers import errors


def register(application: Application) -> None:
    """Wire every handler; groups run in order, the first matching handler of a group wins."""
    application.add_error_handler(errors.report_error)

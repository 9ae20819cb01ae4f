"""The web app: Tandem's pages in any browser (by a personal sign-in link) and inside Telegram (a Mini App).

HTTP only (Starlette, Jinja2): it imports neither Telegram nor the database (import-linter keeps it
so); the composition root (``tandem/server.py``) serves it with uvicorn beside the bot. A page
reads the request, calls one service with ``by=visit.by()`` and renders a template:

* ``app.py`` -- ``create_app`` and the one table of routes; domain errors become pages.
* ``visit.py`` -- one request: the session, who is signed in, the language, rendering.
* ``security.py`` -- the signed session cookie, CSRF (``csrf_protected``), headers, rate limits.
* ``sign_in.py``, ``health.py`` and one module per page (``hours``, ``topics``, ``away``,
  ``matches``, ``sessions``, ``me``); ``templates/`` (all extend ``base.html``) and ``static/``.
"""

"""The web side of the monitor: the review page, login, and the JSON API.

``monitor.web.app.create_app()`` builds the FastAPI application; ``monitor web`` serves it
with uvicorn. Every page but ``/login``, ``/healthz`` and ``/static`` needs a session, and
every state-changing request carries a CSRF token (see ``monitor.web.csrf``).
"""

"""Second factors for signing in (issue 20): TOTP (``totp``), single-use recovery codes
(``recovery``) and passkeys (``passkeys``); ``factors`` keeps them in the database and holds
the site's policy; ``keys`` derives their keys from ``MONITOR_SECRET_KEY``.

No FastAPI in here: the routes are ``monitor.web.twofactor`` and ``monitor.web.signin_steps``.
"""

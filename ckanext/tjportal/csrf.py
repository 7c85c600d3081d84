"""Keep CSRF protection on views that a token-authenticated request reached.

CKAN 2.12 skips the CSRF check for requests authenticated by an API token in
the ``Authorization`` header. It does so by calling Flask-WTF's
``csrf.exempt()`` on the requested view (``ckan_before_request`` in
``ckan/config/middleware/flask_app.py``), and Flask-WTF keeps exemptions in a
process-wide set. After one such request, which anyone with a token can
send, browser form posts to that view were no longer checked for the rest of
the process. :func:`check_exempted_view` runs after Flask-WTF's own check and
checks those posts again, so only token-authenticated requests skip it.
"""
from __future__ import annotations

from flask import current_app, g, request

from ckan.config.middleware.flask_app import csrf


def check_exempted_view() -> None:
    """Check the CSRF token of a cookie or anonymous request to an exempted view.

    Raises Flask-WTF's ``CSRFError``, which CKAN turns into a 400 response, when the
    token is missing or invalid.
    """
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if g.get("login_via_auth_header"):
        return
    # CKAN itself exempts no view or blueprint in advance, so an exempt view
    # was exempted by an earlier token-authenticated request.
    if request.endpoint and csrf._is_exempt():
        csrf.protect()

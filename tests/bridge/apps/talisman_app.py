"""A Flask-Talisman app: a CSP with a per-request nonce, HSTS, force_https, per-view options."""

from __future__ import annotations

import time
import typing as t

from flask import abort, render_template_string, request, session
from flask_talisman import ALLOW_FROM, DENY, Talisman

from ..harness import Route, Scenario

talisman = Talisman()

CSP = {
    "default-src": "'self'",
    "script-src": ["'self'", "https://cdn.example"],
    "style-src": "'self'",
    "object-src": "'none'",
}
PAGE = """<!doctype html>
<script nonce="{{ csp_nonce() }}">var x = 1;</script>
<style nonce="{{ csp_nonce() }}">p {}</style>
"""


def init_app(app: t.Any) -> None:
    talisman.init_app(
        app,
        content_security_policy=CSP,
        content_security_policy_nonce_in=["script-src", "style-src"],
        strict_transport_security_max_age=600,
        feature_policy={"geolocation": "'none'"},
        x_xss_protection=True,
        force_file_save=True,
    )


def page() -> t.Any:
    """A template using the ``csp_nonce()`` Jinja global Talisman registers."""
    return render_template_string(PAGE)


def nonce() -> t.Any:
    """The nonce as Python code reads it: ``request.csp_nonce``, set by a before_request hook."""
    first = request.csp_nonce
    time.sleep(0.005)  # lets other requests run
    return {"nonce": first, "again": request.csp_nonce, "path": request.path}


def submit() -> t.Any:
    return {"method": request.method}


@talisman(frame_options=ALLOW_FROM, frame_options_allow_from="https://partner.example")
def embeddable() -> t.Any:
    return "embeddable"


@talisman(frame_options=DENY, content_security_policy="default-src 'none'; img-src 'self'")
def locked() -> t.Any:
    return "locked"


@talisman(force_https=False, content_security_policy=None, frame_options=None)
def health() -> t.Any:
    return {"ok": True}


def login() -> t.Any:
    session["user"] = "ann"
    return {"user": "ann"}


def forbidden() -> t.Any:
    abort(403)


scenario = Scenario(
    import_name=__name__,
    config={"SECRET_KEY": "bridge-scenario-secret"},
    init_app=init_app,
    routes=[
        Route("/page", "page", page),
        Route("/nonce", "nonce", nonce),
        Route("/submit", "submit", submit, ("POST",)),
        Route("/embeddable", "embeddable", embeddable),
        Route("/locked", "locked", locked),
        Route("/health", "health", health),
        Route("/login", "login", login),
        Route("/forbidden", "forbidden", forbidden),
    ],
)


# A second app: report-only CSP from a string policy, 301 redirects, HSTS preload,
# no forced session flags.
report_only = Talisman()


def init_report_only(app: t.Any) -> None:
    report_only.init_app(
        app,
        content_security_policy="default-src 'self'; script-src 'self'",
        content_security_policy_nonce_in=["script-src"],
        content_security_policy_report_only=True,
        content_security_policy_report_uri="/csp-report",
        force_https_permanent=True,
        strict_transport_security_preload=True,
        strict_transport_security_include_subdomains=False,
        session_cookie_secure=False,
        session_cookie_http_only=False,
        session_cookie_samesite="Strict",
        referrer_policy="no-referrer",
        permissions_policy={"camera": "()", "microphone": "(self)"},
        document_policy={"oversized-images": "?0"},
    )


def report_only_page() -> t.Any:
    return render_template_string('<script nonce="{{ csp_nonce() }}"></script>')


report_only_scenario = Scenario(
    import_name=__name__,
    config={"SECRET_KEY": "bridge-scenario-secret"},
    init_app=init_report_only,
    routes=[
        Route("/page", "report_only_page", report_only_page),
        Route("/login", "login", login),
    ],
)

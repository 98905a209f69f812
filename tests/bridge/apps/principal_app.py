"""A Flask-Principal app as a Flask codebase has it: identity in the session, roles, permissions.

``Principal(app)`` registers a ``before_request`` that puts an
``AnonymousIdentity`` on ``g.identity`` and loads the one saved in the
session; it connects to ``identity_changed`` *for this app as sender*, so the
login view's ``identity_changed.send(current_app._get_current_object(), ...)``
reaches it only if ``current_app`` is the object ``init_app`` got. The app's
``identity_loaded`` receiver (``connect_via(app)``) adds the roles.
"""

from __future__ import annotations

import time
import typing as t

import anyio
from flask import abort, current_app, g, request, session
from flask_principal import (
    AnonymousIdentity,
    Identity,
    Permission,
    PermissionDenied,
    Principal,
    RoleNeed,
    UserNeed,
    identity_changed,
    identity_loaded,
)

from ..harness import Route, Scenario

#: user id -> (password, roles); ``u0`` ... ``u29`` for the concurrency test.
USERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ann": ("ann-pw", ("admin", "editor")),
    "bob": ("bob-pw", ("editor",)),
    "cy": ("cy-pw", ()),
    **{f"u{i}": (f"u{i}-pw", ("admin",) if i % 3 == 0 else ()) for i in range(30)},
}

admin_permission = Permission(RoleNeed("admin"))
editor_permission = Permission(RoleNeed("editor"))
#: Any of the needs: an editor or an admin.
staff_permission = Permission(RoleNeed("editor"), RoleNeed("admin"))


def describe(identity: Identity) -> dict[str, t.Any]:
    return {
        "kind": type(identity).__name__,
        "id": identity.id,
        "auth_type": identity.auth_type,
        "provides": sorted(f"{need.method}:{need.value}" for need in identity.provides),
    }


def before_principal() -> None:
    """Registered before ``Principal(app)``: its hook has not run yet."""
    g.identity_before_principal = "identity" in g


def guard_admin_area() -> None:
    """Registered after: a whole area for admins, from a ``before_request`` hook."""
    g.identity_in_hook = g.identity.id
    if request.path.startswith("/area/"):
        admin_permission.test(http_exception=403)


def identity_header(response: t.Any) -> t.Any:
    identity = g.get("identity")
    response.headers["X-Identity"] = "anonymous" if identity is None else str(identity.id)
    return response


def init_app(app: t.Any) -> None:
    app.before_request(before_principal)
    Principal(app)
    app.before_request(guard_admin_area)
    app.after_request(identity_header)

    @identity_loaded.connect_via(app)
    def on_identity_loaded(sender: t.Any, identity: Identity) -> None:
        user = USERS.get(identity.id) if identity.id is not None else None
        if user is None:
            return
        identity.provides.add(UserNeed(identity.id))
        for role in user[1]:
            identity.provides.add(RoleNeed(role))
        # What the receiver saw, for the view to report.
        g.loaded_for = {
            "id": identity.id,
            "sender_is_app": sender is current_app._get_current_object(),
        }

    @app.errorhandler(PermissionDenied)
    def permission_denied(error: PermissionDenied) -> t.Any:
        permission = error.args[0]
        needs = sorted(f"{need.method}:{need.value}" for need in permission.needs)
        return {"denied": needs, "identity": g.identity.id}, 403


def login() -> t.Any:
    user_id = request.form.get("user", "")
    user = USERS.get(user_id)
    if user is None or user[0] != request.form.get("password"):
        abort(401)
    identity_changed.send(current_app._get_current_object(), identity=Identity(user_id, "form"))
    return {"identity": describe(g.identity), "loaded_for": g.get("loaded_for")}


def logout() -> t.Any:
    # Flask-Principal's documented logout.
    for key in ("identity.name", "identity.auth_type"):
        session.pop(key, None)
    identity_changed.send(current_app._get_current_object(), identity=AnonymousIdentity())
    return {"identity": describe(g.identity)}


def me() -> t.Any:
    return {
        "identity": describe(g.identity),
        "anonymous": isinstance(g.identity, AnonymousIdentity),
        "loaded_for": g.get("loaded_for"),
        "is_admin": bool(admin_permission),
        "can_edit": editor_permission.can(),
        "session": {k: session.get(k) for k in ("identity.id", "identity.auth_type")},
        "hooks": [g.identity_before_principal, g.identity_in_hook],
    }


def area_report() -> t.Any:
    return {"report": g.identity.id}


@admin_permission.require(http_exception=403)
def admin() -> t.Any:
    return {"admin": g.identity.id}


def edit() -> t.Any:
    with editor_permission.require(http_exception=403):
        return {"editing": g.identity.id}


@admin_permission.require()
def admin_or_raise() -> t.Any:
    """No ``http_exception``: ``PermissionDenied``, answered by the app's handler."""
    return {"admin": g.identity.id}


def post(owner: str) -> t.Any:
    """The owner, or staff: ``Permission(UserNeed(owner))`` built per request."""
    Permission(UserNeed(owner)).union(staff_permission).test(http_exception=403)
    return {"owner": owner, "reader": g.identity.id}


@admin_permission.require(http_exception=403)
def slow_whoami() -> t.Any:
    """Reads the identity, lets other requests run, reads it again."""
    first = g.identity.id
    time.sleep(0.005)
    return {"first": first, "second": g.identity.id, "session": session.get("identity.id")}


async def slow_whoami_async() -> t.Any:
    # The decorator's wrapper is sync (Flask would not await it): the context manager.
    with admin_permission.require(http_exception=403):
        first = g.identity.id
    await anyio.sleep(0.005)
    admin_permission.test(http_exception=403)
    return {"first": first, "second": g.identity.id, "session": session.get("identity.id")}


scenario = Scenario(
    import_name=__name__,
    config={"SECRET_KEY": "bridge-scenario-secret"},
    init_app=init_app,
    routes=[
        Route("/login", "login", login, ("POST",)),
        Route("/logout", "logout", logout),
        Route("/me", "me", me),
        Route("/admin", "admin", admin),
        Route("/edit", "edit", edit),
        Route("/admin-or-raise", "admin_or_raise", admin_or_raise),
        Route("/posts/<owner>", "post", post),
        Route("/area/report", "area_report", area_report),
        Route("/slow-whoami", "slow_whoami", slow_whoami),
        Route("/slow-whoami-async", "slow_whoami_async", slow_whoami_async),
    ],
)

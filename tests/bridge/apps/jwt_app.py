"""Flask-JWT-Extended APIs as a Flask codebase has them: nothing here knows about FastAPI.

Two apps share the views. ``scenario``: the extension's defaults (its error
callbacks and their statuses), a ``user_lookup_loader`` behind ``current_user``
(also in templates), extra claims, headers or (by config) cookies with CSRF
double submit. ``custom_scenario``: the app's own ``unauthorized_loader``,
``expired_token_loader``, ``invalid_token_loader`` and blocklist, the app's
error handlers next to the ones ``init_app`` registers, and an app-wide
``before_request`` that reads the token of every request.
"""

from __future__ import annotations

import time
import typing as t
import uuid
from datetime import UTC, datetime, timedelta

import anyio
from flask import abort, g, jsonify, make_response, render_template_string, request
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    current_user,
    get_jwt,
    get_jwt_identity,
    get_jwt_request_location,
    jwt_required,
    set_access_cookies,
    set_refresh_cookies,
    unset_jwt_cookies,
    verify_jwt_in_request,
)
from flask_jwt_extended.exceptions import WrongTokenError

from ..harness import Route, Scenario

#: 32 bytes or more: PyJWT warns about shorter HMAC keys.
SECRET = "bridge-jwt-scenario-secret-0123456789abcdef"
#: A claim the JSON encoder serializes through the app's JSON provider.
ORG = uuid.UUID("12345678-1234-5678-1234-567812345678")

USERS: dict[str, dict[str, str]] = {
    "ann": {"password": "ann-pw", "role": "admin"},
    "bob": {"password": "bob-pw", "role": "user"},
    **{f"u{i}": {"password": f"u{i}-pw", "role": "user"} for i in range(20)},
}
#: Revoked token ids (the custom app's blocklist).
REVOKED = {"revoked-jti"}

CONFIG = {
    "JWT_SECRET_KEY": SECRET,
    # Generous, so a token made at login never expires during a run.
    "JWT_ACCESS_TOKEN_EXPIRES": timedelta(hours=1),
    "JWT_REFRESH_TOKEN_EXPIRES": timedelta(days=7),
}

# -- the default app's manager ----------------------------------------------------

jwt = JWTManager()


@jwt.user_lookup_loader
def load_user(jwt_header: dict[str, t.Any], jwt_data: dict[str, t.Any]) -> t.Any:
    name = jwt_data["sub"]
    user = USERS.get(name)
    return None if user is None else {"name": name, "role": user["role"]}


@jwt.additional_claims_loader
def claims_for(identity: str) -> dict[str, t.Any]:
    return {"role": USERS[identity]["role"], "org": ORG}


def init_app(app: t.Any) -> None:
    # current_user in templates, too.
    jwt.init_app(app, add_context_processor=True)

    @app.after_request
    def refresh_expiring_jwts(response: t.Any) -> t.Any:
        """The extension's documented implicit refresh: a cookie token that expires
        within ``IMPLICIT_REFRESH_WITHIN`` is replaced on the way out."""
        within = app.config.get("IMPLICIT_REFRESH_WITHIN")
        if within is None:
            return response
        try:
            expires = get_jwt()["exp"]
            if datetime.timestamp(datetime.now(UTC) + within) > expires:
                set_access_cookies(response, create_access_token(identity=get_jwt_identity()))
        except (RuntimeError, KeyError):
            pass  # no valid JWT in this request
        return response


# -- the custom app's manager -----------------------------------------------------

custom_jwt = JWTManager()


@custom_jwt.additional_claims_loader
def custom_claims_for(identity: str) -> dict[str, t.Any]:
    return {"role": USERS[identity]["role"]}


@custom_jwt.unauthorized_loader
def custom_unauthorized(reason: str) -> t.Any:
    body = jsonify(error="authorization_required", detail=reason)
    return body, 401, {"WWW-Authenticate": 'Bearer realm="api"'}


@custom_jwt.expired_token_loader
def custom_expired(jwt_header: dict[str, t.Any], jwt_data: dict[str, t.Any]) -> t.Any:
    return jsonify(error="token_expired", sub=jwt_data["sub"]), 401


@custom_jwt.invalid_token_loader
def custom_invalid(reason: str) -> t.Any:
    response = make_response(jsonify(error="invalid_token", detail=reason), 401)
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


@custom_jwt.token_in_blocklist_loader
def is_revoked(jwt_header: dict[str, t.Any], jwt_data: dict[str, t.Any]) -> bool:
    return jwt_data["jti"] in REVOKED


def init_custom_app(app: t.Any) -> None:
    custom_jwt.init_app(app)

    # Registered after the extension's: the app's answer for this class wins.
    @app.errorhandler(WrongTokenError)
    def wrong_token(e: Exception) -> t.Any:
        return {"error": "wrong_token_type", "detail": str(e)}, 403

    # A catch-all: the extension's handlers for its own classes stay nearer.
    @app.errorhandler(Exception)
    def anything(e: Exception) -> t.Any:
        return {"error": "internal", "type": type(e).__name__}, 500

    # The app's 401 page, for its own abort(401): the extension's 401s are
    # responses, not errors, and never reach it.
    @app.errorhandler(401)
    def unauthorized_page(e: Exception) -> t.Any:
        return {"error": "unauthorized_page"}, 401

    @app.before_request
    def who() -> None:
        # Every request, protected or not: who is calling, for the logs.
        verify_jwt_in_request(optional=True)
        g.who = get_jwt_identity()

    @app.after_request
    def tag(response: t.Any) -> t.Any:
        response.headers["X-Who"] = str(g.get("who"))
        return response


# -- views ---------------------------------------------------------------------------


def _tokens_for(name: str) -> tuple[str, str] | None:
    body = request.get_json(silent=True) or {}
    user = USERS.get(name)
    if user is None or user["password"] != body.get("password"):
        return None
    return create_access_token(identity=name, fresh=True), create_refresh_token(identity=name)


def login() -> t.Any:
    body = request.get_json(silent=True) or {}
    tokens = _tokens_for(body.get("username", ""))
    if tokens is None:
        return jsonify(msg="Bad username or password"), 401
    access, refresh = tokens
    return jsonify(access_token=access, refresh_token=refresh)


@jwt_required()
def protected() -> t.Any:
    claims = get_jwt()
    return {
        "identity": get_jwt_identity(),
        "type": claims["type"],
        "fresh": claims["fresh"],
        "role": claims.get("role"),
        "org": claims.get("org"),
        "user": current_user["name"],
        "location": get_jwt_request_location(),
        "lifetime": claims["exp"] - claims["iat"],
    }


@jwt_required(optional=True)
def optional() -> t.Any:
    return {
        "identity": get_jwt_identity(),
        "user": current_user["name"] if current_user else None,
        "claims": sorted(get_jwt()),
        "location": get_jwt_request_location(),
    }


@jwt_required(refresh=True)
def refresh() -> t.Any:
    identity = get_jwt_identity()
    return jsonify(access_token=create_access_token(identity=identity, fresh=False))


@jwt_required(fresh=True)
def fresh_only() -> t.Any:
    return {"fresh_for": get_jwt_identity()}


@jwt_required()
def profile() -> t.Any:
    return render_template_string("<p>{{ current_user.name }} ({{ current_user.role }})</p>")


@jwt_required()
async def async_protected() -> t.Any:
    await anyio.lowlevel.checkpoint()
    return {"identity": get_jwt_identity(), "user": current_user["name"]}


@jwt_required()
def slow_whoami() -> t.Any:
    """Reads the identity, lets other requests run, reads it again."""
    first = get_jwt_identity()
    time.sleep(0.003)
    return {"first": first, "second": get_jwt()["sub"], "user": current_user["name"]}


def cookie_login() -> t.Any:
    body = request.get_json(silent=True) or {}
    tokens = _tokens_for(body.get("username", ""))
    if tokens is None:
        return jsonify(msg="Bad username or password"), 401
    response = jsonify(login=True)
    set_access_cookies(response, tokens[0])
    set_refresh_cookies(response, tokens[1])
    return response


@jwt_required(refresh=True)
def cookie_refresh() -> t.Any:
    identity = get_jwt_identity()
    response = jsonify(refreshed=identity)
    set_access_cookies(response, create_access_token(identity=identity))
    return response


def cookie_adopt() -> t.Any:
    """An SSO callback: a token issued elsewhere becomes this site's cookies
    (``set_access_cookies`` decodes it for its CSRF value)."""
    response = jsonify(adopted=True)
    set_access_cookies(response, request.get_json()["token"])
    return response


def cookie_logout() -> t.Any:
    response = jsonify(logout=True)
    unset_jwt_cookies(response)
    return response


@jwt_required()
def transfer() -> t.Any:
    """A state-changing view: with cookies, only with the CSRF token."""
    data = request.get_json(silent=True) or request.form
    return {"by": get_jwt_identity(), "amount": int(data["amount"]), "method": request.method}


def who() -> t.Any:
    return {"who": g.who}


@jwt_required()
def admin() -> t.Any:
    if get_jwt().get("role") != "admin":
        return jsonify(message="Admins only!"), 403
    return {"admin": get_jwt_identity()}


@jwt_required()
def boom() -> t.Any:
    raise ValueError("not a JWT error")


@jwt_required(optional=True)
def members() -> t.Any:
    if get_jwt_identity() is None:
        abort(401)
    return {"member": get_jwt_identity()}


@jwt_required()
def custom_protected() -> t.Any:
    return {"identity": get_jwt_identity(), "g_who": g.who}


scenario = Scenario(
    import_name=__name__,
    config=CONFIG,
    init_app=init_app,
    routes=[
        Route("/login", "login", login, ("POST",)),
        Route("/protected", "protected", protected),
        Route("/optional", "optional", optional),
        Route("/refresh", "refresh", refresh, ("POST",)),
        Route("/fresh", "fresh_only", fresh_only),
        Route("/profile", "profile", profile),
        Route("/async-protected", "async_protected", async_protected),
        Route("/slow-whoami", "slow_whoami", slow_whoami),
        Route("/cookie-login", "cookie_login", cookie_login, ("POST",)),
        Route("/cookie-refresh", "cookie_refresh", cookie_refresh, ("POST",)),
        Route("/cookie-logout", "cookie_logout", cookie_logout, ("POST",)),
        Route("/cookie-adopt", "cookie_adopt", cookie_adopt, ("POST",)),
        Route("/transfer", "transfer", transfer, ("POST", "DELETE")),
    ],
)

custom_scenario = Scenario(
    import_name=__name__,
    config={**CONFIG, "JWT_ERROR_MESSAGE_KEY": "message"},
    init_app=init_custom_app,
    routes=[
        Route("/login", "login", login, ("POST",)),
        Route("/who", "who", who),
        Route("/protected", "custom_protected", custom_protected),
        Route("/admin", "admin", admin),
        Route("/boom", "boom", boom),
        Route("/members", "members", members),
    ],
)

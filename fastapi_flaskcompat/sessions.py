"""Flask's sessions: the signed-cookie format, its config and its API.

``session`` works as soon as ``SECRET_KEY`` is set, with no middleware:
the cookie is Flask's own (itsdangerous' ``URLSafeTimedSerializer``, salt
``cookie-session``, HMAC-SHA1, Flask's tagged JSON), so a cookie written by
the legacy Flask app with the same secret key is read here and the
reverse. ``compat.session_interface`` takes any object with Flask's
``SessionInterface`` methods (Flask's own classes included) for
server-side sessions. An app that adds Starlette's ``SessionMiddleware``
keeps its ``scope["session"]`` dict as ``session``.

itsdangerous is imported only when a session with a secret key is opened
or saved (extra ``fastapi-flaskcompat[sessions]``).
"""

from __future__ import annotations

import hashlib
import json
import typing as t
from base64 import b64decode, b64encode
from collections.abc import MutableMapping
from datetime import UTC, datetime, timedelta
from uuid import UUID

from werkzeug.datastructures import CallbackDict
from werkzeug.http import http_date, parse_date

if t.TYPE_CHECKING:
    from starlette.applications import Starlette

    from .app import FlaskCompat
    from .ctx import RequestContext
    from .wrappers import Request, Response


class SessionMixin(MutableMapping[str, t.Any]):
    """Flask's session attributes on top of a mapping."""

    @property
    def permanent(self) -> bool:
        """Whether the cookie outlives the browser session (``PERMANENT_SESSION_LIFETIME``)."""
        return bool(self.get("_permanent", False))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)

    #: Always False for Flask's cookie sessions; server-side ones may set it.
    new = False
    #: Set by writes. Nested mutable values need ``modified = True`` by hand, as in Flask.
    modified = True
    #: Set by reads and writes; adds ``Vary: Cookie`` to the response.
    accessed = True


class TrackedSession(CallbackDict[str, t.Any], SessionMixin):
    """A session dict that records reads (``accessed``) and writes (``modified``),
    as Flask's cookie session does: the base of the cookie and Redis sessions."""

    modified = False
    accessed = False

    def __init__(self, initial: t.Any = None) -> None:
        def on_update(self: TrackedSession) -> None:
            self.modified = True
            self.accessed = True

        super().__init__(initial, on_update)

    def __getitem__(self, key: str) -> t.Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: t.Any = None) -> t.Any:
        self.accessed = True
        return super().get(key, default)

    def setdefault(self, key: str, default: t.Any = None) -> t.Any:
        self.accessed = True
        return super().setdefault(key, default)


class SecureCookieSession(TrackedSession):
    """The session stored in Flask's signed cookie."""


class NullSession(SecureCookieSession):
    """The session without a secret key: reads work, writes raise Flask's error."""

    def _fail(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise RuntimeError(
            "The session is unavailable because no secret "
            "key was set.  Set the secret_key on the "
            "application to something unique and secret."
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail


class SessionInterface:
    """Flask's session interface: subclass it for server-side sessions."""

    null_session_class: type[NullSession] = NullSession
    pickle_based = False

    def make_null_session(self, app: FlaskCompat) -> NullSession:
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: FlaskCompat) -> str:
        return t.cast(str, app.config["SESSION_COOKIE_NAME"])

    def get_cookie_domain(self, app: FlaskCompat) -> str | None:
        return t.cast("str | None", app.config["SESSION_COOKIE_DOMAIN"] or None)

    def get_cookie_path(self, app: FlaskCompat) -> str:
        return t.cast(str, app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"])

    def get_cookie_httponly(self, app: FlaskCompat) -> bool:
        return bool(app.config["SESSION_COOKIE_HTTPONLY"])

    def get_cookie_secure(self, app: FlaskCompat) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"])

    def get_cookie_samesite(self, app: FlaskCompat) -> str | None:
        return t.cast("str | None", app.config["SESSION_COOKIE_SAMESITE"])

    def get_cookie_partitioned(self, app: FlaskCompat) -> bool:
        return bool(app.config["SESSION_COOKIE_PARTITIONED"])

    def get_expiration_time(self, app: FlaskCompat, session: SessionMixin) -> datetime | None:
        if session.permanent:
            return datetime.now(UTC) + app.permanent_session_lifetime
        return None

    def should_set_cookie(self, app: FlaskCompat, session: SessionMixin) -> bool:
        return session.modified or (
            session.permanent and bool(app.config["SESSION_REFRESH_EACH_REQUEST"])
        )

    def open_session(self, app: FlaskCompat, request: Request) -> SessionMixin | None:
        raise NotImplementedError()

    def save_session(self, app: FlaskCompat, session: SessionMixin, response: Response) -> None:
        raise NotImplementedError()


class SecureCookieSessionInterface(SessionInterface):
    """Flask's default: the whole session in a signed (not encrypted) cookie."""

    salt = "cookie-session"
    digest_method = staticmethod(hashlib.sha1)
    key_derivation = "hmac"
    session_class = SecureCookieSession

    def __init__(self) -> None:
        self.serializer = TaggedJSONSerializer()

    def get_signing_serializer(self, app: FlaskCompat) -> t.Any:
        if not app.secret_key:
            return None
        try:
            from itsdangerous import URLSafeTimedSerializer
        except ImportError:
            raise RuntimeError(
                "Sessions need itsdangerous: install fastapi-flaskcompat[sessions]."
            ) from None
        keys: list[str | bytes] = list(app.config["SECRET_KEY_FALLBACKS"] or ())
        keys.append(app.secret_key)  # itsdangerous signs with the last key
        return URLSafeTimedSerializer(
            keys,  # type: ignore[arg-type]
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={"key_derivation": self.key_derivation, "digest_method": hashlib.sha1},
        )

    def open_session(self, app: FlaskCompat, request: Request) -> SecureCookieSession | None:
        s = self.get_signing_serializer(app)
        if s is None:
            return None
        val = request.cookies.get(self.get_cookie_name(app))
        if not val:
            return self.session_class()
        from itsdangerous import BadSignature

        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            return self.session_class(s.loads(val, max_age=max_age))
        except BadSignature:
            return self.session_class()

    def save_session(self, app: FlaskCompat, session: SessionMixin, response: Response) -> None:
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)
        if session.accessed:
            response.vary.add("Cookie")
        if not session:
            if session.modified:
                response.delete_cookie(
                    name,
                    domain=domain,
                    path=path,
                    secure=secure,
                    partitioned=partitioned,
                    samesite=samesite,
                    httponly=httponly,
                )
                response.vary.add("Cookie")
            return
        if not self.should_set_cookie(app, session):
            return
        value = self.get_signing_serializer(app).dumps(dict(session))
        response.set_cookie(
            name,
            value,
            expires=self.get_expiration_time(app, session),
            httponly=httponly,
            domain=domain,
            path=path,
            secure=secure,
            partitioned=partitioned,
            samesite=samesite,
        )
        response.vary.add("Cookie")

    def may_need_saving(self, app: FlaskCompat, scope_headers: list[tuple[bytes, bytes]]) -> bool:
        """False when saving an unopened session provably does nothing: no session
        cookie in the request (it would be new and empty)."""
        name = self.get_cookie_name(app).encode("latin-1") + b"="
        return any(k == b"cookie" and name in v for k, v in scope_headers)


# -- Flask's tagged JSON, the cookie's payload format -----------------------
#
# JSON plus one-key objects whose key names a type: " t" tuple, " b" bytes
# (base64), " m" Markup, " u" UUID (hex), " d" datetime (HTTP date), and
# " di" for a one-key dict whose key is itself a tag (suffixed "__").

_TAGS = (" di", " t", " b", " m", " u", " d")


class TaggedJSONSerializer:
    """Reads and writes the payload of Flask's session cookie."""

    def tag(self, value: t.Any) -> t.Any:
        if isinstance(value, dict):
            if len(value) == 1:
                key = next(iter(value))
                if key in _TAGS:
                    return {" di": {f"{key}__": self.tag(value[key])}}
            return {k: self.tag(v) for k, v in value.items()}
        if isinstance(value, tuple):
            return {" t": [self.tag(v) for v in value]}
        if isinstance(value, list):
            return [self.tag(v) for v in value]
        if isinstance(value, bytes):
            return {" b": b64encode(value).decode("ascii")}
        if callable(getattr(value, "__html__", None)):
            return {" m": str(value.__html__())}
        if isinstance(value, UUID):
            return {" u": value.hex}
        if isinstance(value, datetime):
            return {" d": http_date(value)}
        return value

    def untag(self, value: t.Any) -> t.Any:
        if isinstance(value, list):
            return [self.untag(v) for v in value]
        if not isinstance(value, dict):
            return value
        value = {k: self.untag(v) for k, v in value.items()}
        if len(value) != 1:
            return value
        key, inner = next(iter(value.items()))
        if key == " di":
            ((tagged_key, item),) = inner.items()
            return {tagged_key[:-2]: item}
        if key == " t":
            return tuple(inner)
        if key == " b":
            return b64decode(inner)
        if key == " m":
            from markupsafe import Markup

            return Markup(inner)
        if key == " u":
            return UUID(inner)
        if key == " d":
            return parse_date(inner)
        return value

    def dumps(self, value: t.Any) -> str:
        from .json import dumps

        return dumps(self.tag(value), separators=(",", ":"))

    def loads(self, value: str | bytes) -> t.Any:
        return self.untag(json.loads(value))


# -- the request's session ---------------------------------------------------


def open_request_session(app: FlaskCompat, ctx: RequestContext) -> t.Any:
    """The session ``ctx`` exposes: Starlette's dict when its middleware runs,
    else the app's ``session_interface`` (a null session without a secret key)."""
    if "session" in ctx.scope:
        return ctx.scope["session"]
    interface = app.session_interface
    session = interface.open_session(app, ctx.request)
    if session is None:
        session = interface.make_null_session(app)
    return session


def may_need_saving(app: FlaskCompat, ctx: RequestContext) -> bool:
    """Whether the response must wait for :func:`save_request_session` (runs on
    every request: the common answers come first and cheap)."""
    scope = ctx.scope
    if "session" in scope:
        return False  # Starlette's SessionMiddleware saves it
    if ctx.session_opened is not None:
        return True
    interface = app.session_interface
    if isinstance(interface, SecureCookieSessionInterface):
        # Unopened, with no cookie, it would be new and empty: saving does nothing.
        if not app.config["SECRET_KEY"]:
            return False
        return interface.may_need_saving(app, scope["headers"])
    # Flask opens and saves a custom interface's session on every request.
    return True


def save_request_session(app: FlaskCompat, ctx: RequestContext, response: Response) -> None:
    """Flask's last step of ``process_response``: save the session onto ``response``."""
    if not may_need_saving(app, ctx):
        return
    session = ctx.session_opened
    if session is None:
        # Opened only now: Flask opens it at push, and refreshes permanent cookies.
        session = open_request_session(app, ctx)
        ctx.session = session
    interface = app.session_interface
    if not interface.is_null_session(session):
        interface.save_session(app, session, response)


def keep_session_middleware_outside(app: Starlette, middleware_class: type) -> None:
    """Keep a ``SessionMiddleware`` added before ``middleware_class`` outside it.

    Flask saves the session after ``after_request`` ran; with Starlette's
    ``SessionMiddleware`` that needs it to wrap ours, whichever was added first.
    Starlette is only inspected by name here: importing its module needs
    itsdangerous, which a bare install does not have.
    """
    stack = app.user_middleware
    ours = next((i for i, m in enumerate(stack) if t.cast(type, m.cls) is middleware_class), None)
    sessions = [i for i, m in enumerate(stack) if _is_session_middleware(m.cls)]
    if ours is not None and sessions and sessions[-1] > ours:
        stack.insert(sessions[-1], stack.pop(ours))


def _is_session_middleware(cls: t.Any) -> bool:
    return isinstance(cls, type) and any(
        c.__module__ == "starlette.middleware.sessions" and c.__name__ == "SessionMiddleware"
        for c in cls.__mro__
    )


def make_timedelta(value: timedelta | int | None) -> timedelta:
    """``PERMANENT_SESSION_LIFETIME`` as a timedelta (Flask accepts seconds)."""
    if value is None or isinstance(value, timedelta):
        return t.cast(timedelta, value)
    return timedelta(seconds=value)

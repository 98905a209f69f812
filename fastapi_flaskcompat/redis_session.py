"""Server-side sessions in Redis, with Flask-Session's semantics.

    from fastapi_flaskcompat import RedisSessionInterface

    compat.session_interface = RedisSessionInterface(url="redis://127.0.0.1:6379/0")

The cookie holds only a random session id, signed with the app's
``SECRET_KEY`` as Flask-Session signs it (itsdangerous ``Signer``, salt
``flask-session``); the session's data is a Redis string under
``key_prefix + sid`` in Flask's tagged JSON, expiring after
``PERMANENT_SESSION_LIFETIME``. A cookie that is missing, forged, or names
an expired or unreadable entry gives a new, empty session.

While Redis cannot be reached, a request that touches the session gets
``503 Service Unavailable`` (Werkzeug's ``ServiceUnavailable``, with
``Retry-After``); requests that never touch it are served as usual. A change
that cannot be written raises, as with Flask-Session. See
docs/decisions.md ("Redis sessions") for why, and for the cost of the
synchronous client on the event loop.

redis and itsdangerous are imported only here, when an interface is made
(extra ``fastapi-flaskcompat[redis]``).
"""

from __future__ import annotations

import math
import secrets
import threading
import time
import typing as t

from werkzeug.exceptions import ServiceUnavailable

from .sessions import SessionInterface, SessionMixin, TaggedJSONSerializer, TrackedSession

if t.TYPE_CHECKING:
    from redis import Redis

    from .app import FlaskCompat
    from .wrappers import Request, Response

_MISSING = "Redis sessions need redis and itsdangerous: install fastapi-flaskcompat[redis]."
#: Longer cookie values are not session ids: no Redis lookup for them.
_MAX_COOKIE = 512


class RedisSession(TrackedSession):
    """A session whose data lives in Redis under ``sid`` (Flask-Session's semantics)."""

    def __init__(
        self, initial: t.Any = None, sid: str = "", *, new: bool = False, permanent: bool = False
    ) -> None:
        super().__init__(initial)
        #: The session id (the key in Redis is the interface's prefix + sid).
        self.sid = sid
        #: True when no stored session was found for the request.
        self.new = new
        if permanent:
            self.permanent = True
        self.modified = False
        self.accessed = False

    def __bool__(self) -> bool:
        # Flask-Session's rule: a session holding only ``_permanent`` is empty.
        return any(key != "_permanent" for key in self)

    def clear(self) -> None:
        """Empty the session (it is deleted from Redis); ``permanent`` is kept."""
        permanent = self.permanent
        super().clear()
        self["_permanent"] = permanent


class UnavailableSession(RedisSession):
    """The session of a request served while Redis could not be reached: any
    use of it answers 503, and nothing is saved."""

    def __init__(self, sid: str = "", retry_after: int | None = None) -> None:
        super().__init__(sid=sid)
        self.retry_after = retry_after

    def _fail(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise ServiceUnavailable(
            "The session store is unavailable. Please try again later.",
            retry_after=self.retry_after,
        )

    __getitem__ = __setitem__ = __delitem__ = __contains__ = __iter__ = __len__ = _fail
    get = setdefault = pop = popitem = update = clear = keys = values = items = copy = _fail
    __bool__ = _fail


class RedisSessionInterface(SessionInterface):
    """Flask's ``SessionInterface`` storing sessions in Redis, as Flask-Session's
    ``RedisSessionInterface`` does.

    ``client`` is a ``redis.Redis``; without one, a client for ``url``
    (default ``redis://localhost:6379/0``) is made with 1 s timeouts and no
    retries, because its calls run on the event loop (see the module's
    doc). ``key_prefix``, ``permanent`` (the default for new sessions),
    ``use_signer`` and ``sid_length`` are Flask-Session's ``SESSION_KEY_PREFIX``,
    ``SESSION_PERMANENT``, ``SESSION_USE_SIGNER`` and ``SESSION_ID_LENGTH``.
    After a failed Redis call, Redis is not tried again for ``retry_after``
    seconds: meanwhile sessions are unavailable at once, without blocking.
    """

    session_class = RedisSession
    unavailable_session_class = UnavailableSession
    #: Flask-Session's salt: a cookie it signed is read here, and the reverse.
    salt = "flask-session"
    serializer = TaggedJSONSerializer()

    def __init__(
        self,
        client: Redis | None = None,
        *,
        url: str | None = None,
        key_prefix: str = "session:",
        permanent: bool = True,
        use_signer: bool = True,
        sid_length: int = 32,
        retry_after: float = 1.0,
    ) -> None:
        try:
            import itsdangerous  # noqa: F401
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError:
            raise RuntimeError(_MISSING) from None
        if client is not None and url is not None:
            raise TypeError("Pass a Redis client or a url, not both.")
        if client is None:
            client = redis.Redis.from_url(
                url or "redis://localhost:6379/0",
                socket_timeout=1.0,
                socket_connect_timeout=1.0,
                retry=Retry(NoBackoff(), 0),
            )
        #: The ``redis.Redis`` client.
        self.client: Redis = client
        self.key_prefix = key_prefix
        self.permanent = permanent
        self.use_signer = use_signer
        self.sid_length = sid_length
        self.retry_after = retry_after
        #: What counts as "Redis is down" (anything else is a bug and propagates).
        self.unavailable_errors: tuple[type[Exception], ...] = (
            redis.exceptions.ConnectionError,
            redis.exceptions.TimeoutError,
        )
        self._down_until = 0.0
        self._lock = threading.Lock()

    # -- Redis, and what happens when it is down ---------------------------------

    def store_key(self, sid: str) -> str:
        """The Redis key of session ``sid``."""
        return self.key_prefix + sid

    def is_unavailable(self) -> bool:
        """True within ``retry_after`` seconds of a failed Redis call."""
        return self._down_until > time.monotonic()

    def _failed(self, app: FlaskCompat, exc: Exception, doing: str) -> None:
        with self._lock:
            already = self.is_unavailable()
            self._down_until = time.monotonic() + self.retry_after
        if not already:
            app.logger.error("Session store unavailable (%s): %s", doing, exc)

    def _unavailable(self, sid: str) -> UnavailableSession:
        return self.unavailable_session_class(sid, math.ceil(self.retry_after) or None)

    # -- the cookie --------------------------------------------------------------

    def _signer(self, app: FlaskCompat) -> t.Any:
        from itsdangerous import Signer

        keys: list[str | bytes] = list(app.config["SECRET_KEY_FALLBACKS"] or ())
        keys.append(t.cast("str | bytes", app.secret_key))  # the last key signs
        return Signer(keys, salt=self.salt, key_derivation="hmac")  # type: ignore[arg-type]

    def _sid_from_cookie(self, app: FlaskCompat, value: str) -> str | None:
        if len(value) > _MAX_COOKIE:
            return None
        if not self.use_signer:
            return value
        from itsdangerous import BadSignature

        try:
            return t.cast(bytes, self._signer(app).unsign(value)).decode("utf-8")
        except (BadSignature, UnicodeError):
            return None

    def _cookie_value(self, app: FlaskCompat, sid: str) -> str:
        if not self.use_signer:
            return sid
        return t.cast(bytes, self._signer(app).sign(sid)).decode("ascii")

    def _lifetime_ms(self, app: FlaskCompat) -> int:
        return max(1, int(app.permanent_session_lifetime.total_seconds() * 1000))

    # -- Flask's SessionInterface ------------------------------------------------

    def new_session(self) -> RedisSession:
        """An empty session with a fresh random id."""
        sid = secrets.token_urlsafe(self.sid_length)
        return self.session_class(sid=sid, new=True, permanent=self.permanent)

    def open_session(self, app: FlaskCompat, request: Request) -> RedisSession | None:
        """The stored session the request's cookie names, else a new one; None
        (Flask's null session) when the cookie must be signed and there is no
        ``SECRET_KEY``."""
        if self.use_signer and not app.secret_key:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.new_session()
        sid = self._sid_from_cookie(app, value)
        if sid is None:
            return self.new_session()
        if self.is_unavailable():
            return self._unavailable(sid)
        try:
            stored = self.client.get(self.store_key(sid))
        except self.unavailable_errors as exc:
            self._failed(app, exc, "reading a session")
            return self._unavailable(sid)
        if stored is None:
            return self.new_session()
        try:
            data = self.serializer.loads(t.cast(bytes, stored))
        except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            data = None
        if not isinstance(data, dict):
            app.logger.warning("Unreadable session data in Redis; starting a new session")
            return self.new_session()
        return self.session_class(data, sid=sid)

    def save_session(self, app: FlaskCompat, session: SessionMixin, response: Response) -> None:
        """Write (or delete) the session in Redis and set (or delete) its cookie,
        after the after_request hooks, as Flask-Session does."""
        if isinstance(session, UnavailableSession):
            return
        session = t.cast(RedisSession, session)
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)
        key = self.store_key(session.sid)
        if session.accessed:
            response.vary.add("Cookie")
        if not session:
            if session.modified:
                if not session.new:
                    self._write(app, "deleting a session", self.client.delete, key)
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
        if session.modified:
            data = self.serializer.dumps(dict(session))
            self._write(
                app, "saving a session", self.client.set, key, data, px=self._lifetime_ms(app)
            )
        elif app.config["SESSION_REFRESH_EACH_REQUEST"]:
            # Only the expiry: rewriting the data would undo a concurrent request's change.
            if self.is_unavailable():
                return
            try:
                self.client.pexpire(key, self._lifetime_ms(app))
            except self.unavailable_errors as exc:
                self._failed(app, exc, "refreshing a session's expiry")
                return
        else:
            return
        if self.should_set_cookie(app, session):
            response.set_cookie(
                name,
                self._cookie_value(app, session.sid),
                expires=self.get_expiration_time(app, session),
                httponly=httponly,
                domain=domain,
                path=path,
                secure=secure,
                partitioned=partitioned,
                samesite=samesite,
            )
            response.vary.add("Cookie")

    def _write(self, app: FlaskCompat, doing: str, call: t.Any, *args: t.Any, **kw: t.Any) -> None:
        # A change that cannot be stored must not look saved: the error propagates.
        try:
            call(*args, **kw)
        except self.unavailable_errors as exc:
            self._failed(app, exc, doing)
            raise

    def regenerate(self, session: RedisSession) -> None:
        """Give ``session`` a new id (after a login: no session fixation); the
        entry under the old id is deleted. Flask-Session's method."""
        if session:
            if not session.new:
                self.client.delete(self.store_key(session.sid))
            session.sid = secrets.token_urlsafe(self.sid_length)
            session.modified = True

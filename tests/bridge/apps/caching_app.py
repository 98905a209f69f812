"""A Flask-Caching app (SimpleCache): cached views, memoized helpers, cache.get/set.

Every view and helper counts its runs (``ran(name)``), per app: a cached answer
shows the count of the run that produced it, a fresh one the next count.
"""

from __future__ import annotations

import threading
import time
import typing as t

import anyio
from flask import abort, current_app, jsonify, make_response, request
from flask_caching import Cache, CachedResponse

from ..harness import Route, Scenario

cache = Cache()

COUNTS = "caching_app.counts"
_lock = threading.Lock()


def init_app(app: t.Any) -> None:
    # A fresh SimpleCache (and fresh counters) per app: init_app builds it.
    cache.init_app(app)
    app.extensions[COUNTS] = {}


def ran(name: str) -> int:
    """How many times ``name`` has run in this app, this run included."""
    with _lock:
        counts = current_app.extensions[COUNTS]
        counts[name] = counts.get(name, 0) + 1
        return counts[name]


# -- @cache.cached: the default key is "view/" + request.path --------------------


@cache.cached(timeout=60)
def clock() -> t.Any:
    """A dict: Flask turns it into JSON after the cache stored the dict."""
    return {"run": ran("clock"), "path": request.path, "args": request.args.to_dict()}


@cache.cached(timeout=60)
def page(slug: str) -> t.Any:
    """One entry per path (``request.path``, decoded), whatever the query string."""
    return f"<h1>{slug}</h1><p>run {ran('page:' + slug)}</p>"


@cache.cached(timeout=60, query_string=True)
def search() -> t.Any:
    """The key is the sorted query string: ``?a=1&b=2`` and ``?b=2&a=1`` share it."""
    return {"q": request.args.getlist("q"), "page": request.args.get("page"), "run": ran("search")}


def _no_cache_requested() -> bool:
    return request.headers.get("Cache-Control") == "no-cache" or "fresh" in request.args


@cache.cached(timeout=60, unless=_no_cache_requested)
def news() -> t.Any:
    """``unless`` true: the view runs and nothing is stored or read."""
    return {"run": ran("news")}


# -- what the cache stores is the view's response: status, headers, body ----------


@cache.cached(timeout=60)
def report() -> t.Any:
    """A response object built with Flask's helpers: status and headers are cached."""
    n = ran("report")
    response = make_response(jsonify(run=n), 203)
    response.headers["X-Generated-Run"] = str(n)
    response.headers["Cache-Control"] = "public, max-age=60"
    response.set_cookie("report_run", str(n))
    return response


@cache.cached(timeout=60)
def legacy() -> t.Any:
    """A ``(body, status, headers)`` tuple: the tuple is cached, Flask converts it."""
    n = ran("legacy")
    return f"legacy run {n}", 201, {"X-Generated-Run": str(n), "Content-Type": "text/plain"}


@cache.cached(timeout=60)
def dynamic_ttl() -> t.Any:
    """``CachedResponse`` overrides the TTL per response."""
    n = ran("dynamic_ttl")
    return CachedResponse(make_response({"run": n}), timeout=30)


# -- non-200 answers are kept out of the cache ------------------------------------


def _ok_only(response: t.Any) -> bool:
    """``response_filter``: given the view's return value (or an abort's response)."""
    if isinstance(response, tuple):
        return response[1] == 200
    return getattr(response, "status_code", 200) == 200


def _item_key(item_id: int) -> str:
    return f"item:{item_id}"


@cache.cached(timeout=60, response_filter=_ok_only)
def show_item(item_id: int) -> t.Any:
    name = cache.get(_item_key(item_id))
    n = ran(f"show_item:{item_id}")
    if name is None:
        abort(404)
    if name == "":
        return {"error": "no name", "run": n}, 409
    return {"id": item_id, "name": name, "run": n}


def store_item(item_id: int) -> t.Any:
    """``cache.set`` in a view; ``?purge=1`` also drops the cached ``show_item`` page."""
    cache.set(_item_key(item_id), request.args.get("name", ""))
    purged = None
    if request.args.get("purge"):
        # Builds the path with url_for("show_item", item_id=...): the view's endpoint.
        purged = cache.delete_cached(show_item, item_id=item_id)
    return {"stored": cache.get(_item_key(item_id)), "purged": purged}


@cache.cached(timeout=60)
def unstable() -> t.Any:
    """A raised ``abort(503)`` without a filter: Flask-Caching 2.5 caches and re-raises it."""
    abort(503, description=f"down, run {ran('unstable')}")


# -- custom keys from the request -------------------------------------------------


def _language_key() -> str:
    return f"lang/{request.accept_languages.best_match(['en', 'fr'], 'en')}{request.path}"


@cache.cached(timeout=60, key_prefix=_language_key)
def greeting() -> t.Any:
    lang = request.accept_languages.best_match(["en", "fr"], "en")
    word = {"en": "hello", "fr": "bonjour"}[lang]
    return {"greeting": word, "path": request.path, "run": ran(f"greeting:{lang}")}


def _tenant_key(*args: t.Any, **kwargs: t.Any) -> str:
    """``make_cache_key`` gets the view arguments; the tenant comes from a header."""
    return f"tenant/{request.headers.get('X-Tenant', 'public')}{request.path}{sorted(kwargs)}"


@cache.cached(timeout=60, make_cache_key=_tenant_key)
def dashboard(board: str) -> t.Any:
    tenant = request.headers.get("X-Tenant", "public")
    return {"tenant": tenant, "board": board, "run": ran(f"dashboard:{tenant}:{board}")}


@cache.cached(timeout=60, response_hit_indication=True)
def flagged() -> t.Any:
    """Flask-Caching appends an after_request hook that adds ``hit_cache`` on a hit."""
    return {"run": ran("flagged")}


# -- @cache.memoize and delete_memoized -------------------------------------------


@cache.memoize(timeout=60)
def price(item_id: int, currency: str = "EUR") -> dict[str, t.Any]:
    return {"item": item_id, "currency": currency, "run": ran(f"price:{item_id}:{currency}")}


def show_price(item_id: int) -> t.Any:
    currency = request.args.get("currency")
    return price(item_id, currency) if currency else price(item_id)


def reprice(item_id: int) -> t.Any:
    """``delete_memoized(f, args)`` forgets one call; without args, every call."""
    if request.args.get("all"):
        cache.delete_memoized(price)
    else:
        cache.delete_memoized(price, item_id)
    return {"repriced": item_id}


@cache.memoize(timeout=60)
def profile(user: str) -> t.Any:
    """``memoize`` directly on a view: the view argument is part of the key."""
    return {"user": user, "run": ran(f"profile:{user}")}


def forget_profile(user: str) -> t.Any:
    profile.delete_memoized()
    return {"forgot": user}


# -- concurrency and async views --------------------------------------------------


@cache.cached(timeout=60)
def slow(n: int) -> t.Any:
    """Lets other requests run between the key (from request.path) and the store."""
    time.sleep(0.003)
    return {"n": n, "path": request.path, "run": ran(f"slow:{n}")}


@cache.cached(timeout=60, query_string=True)
async def async_feed() -> t.Any:
    """An ``async def`` view: Flask-Caching runs it through ``app.ensure_sync``."""
    await anyio.sleep(0)
    return {"feed": request.args.get("topic"), "run": ran("async_feed")}


scenario = Scenario(
    import_name=__name__,
    init_app=init_app,
    config={"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300},
    routes=[
        Route("/clock", "clock", clock),
        Route("/pages/<slug>", "page", page),
        Route("/search", "search", search),
        Route("/news", "news", news),
        Route("/report", "report", report),
        Route("/legacy", "legacy", legacy),
        Route("/dynamic-ttl", "dynamic_ttl", dynamic_ttl),
        Route("/items/<int:item_id>", "show_item", show_item),
        Route("/items/<int:item_id>", "store_item", store_item, methods=("POST",)),
        Route("/unstable", "unstable", unstable),
        Route("/greeting", "greeting", greeting),
        Route("/boards/<board>", "dashboard", dashboard),
        Route("/flagged", "flagged", flagged),
        Route("/prices/<int:item_id>", "show_price", show_price),
        Route("/prices/<int:item_id>", "reprice", reprice, methods=("DELETE",)),
        Route("/profiles/<user>", "profile", profile),
        Route("/profiles/<user>", "forget_profile", forget_profile, methods=("DELETE",)),
        Route("/slow/<int:n>", "slow", slow),
        Route("/async-feed", "async_feed", async_feed),
    ],
)

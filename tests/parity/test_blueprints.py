"""Blueprints, run side by side under Flask and FlaskCompat.

Ported from Flask 3.1's tests/test_blueprints.py (the cases about hooks,
error handlers, naming, nesting, prefixes and URL processors). Not ported,
as not this library's: templates and static files (test_templates_and_static,
test_default_static_max_age, test_templates_list, test_template_filter*,
test_add_template_filter*, test_template_test*, test_add_template_test*,
test_context_processing, test_template_global), subdomains
(test_nesting_subdomains, test_child_and_parent_subdomain), Werkzeug route
``defaults=`` and registration ``url_defaults=`` that feed them
(test_blueprint_url_defaults; test_empty_url_defaults is ported with the
view's own default), and ``app.url_map`` with ``bp.endpoint``
(test_endpoint_decorator: routes are FastAPI's, there is no URL map).
"""

from __future__ import annotations

import typing as t

import pytest

from .twoapps import Req, Side, run

pytestmark = pytest.mark.anyio


async def test_blueprint_specific_error_handling() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api
        frontend, backend, sideend = (s.blueprint(n) for n in ("frontend", "backend", "sideend"))

        @frontend.errorhandler(403)
        def frontend_forbidden(e: t.Any) -> t.Any:
            return "frontend says no", 403

        @backend.errorhandler(403)
        def backend_forbidden(e: t.Any) -> t.Any:
            return "backend says no", 403

        def no() -> t.Any:
            api.abort(403)

        s.route(frontend, "/frontend-no", no, endpoint="frontend_no")
        s.route(backend, "/backend-no", no, endpoint="backend_no")
        s.route(sideend, "/what-is-a-sideend", no, endpoint="sideend_no")
        for bp in (frontend, backend, sideend):
            s.register(s.app, bp)

        @s.app.errorhandler(403)
        def app_forbidden(e: t.Any) -> t.Any:
            return "application itself says no", 403

    theirs, ours = await run(setup, ["/frontend-no", "/backend-no", "/what-is-a-sideend"])
    assert ours == theirs
    assert [o.body for o in theirs] == [
        b"frontend says no",
        b"backend says no",
        b"application itself says no",
    ]


async def test_blueprint_specific_user_error_handling() -> None:
    class MyDecoratorException(Exception):
        pass

    class MyFunctionException(Exception):
        pass

    def setup(s: Side, ev: list[t.Any]) -> None:
        blue = s.blueprint("blue")

        @blue.errorhandler(MyDecoratorException)
        def my_decorator_exception_handler(e: Exception) -> str:
            ev.append(type(e).__name__)
            return "boom"

        def my_function_exception_handler(e: Exception) -> str:
            ev.append(type(e).__name__)
            return "bam"

        blue.register_error_handler(MyFunctionException, my_function_exception_handler)

        def deco() -> t.Any:
            raise MyDecoratorException()

        def func() -> t.Any:
            raise MyFunctionException()

        s.route(blue, "/decorator", deco)
        s.route(blue, "/function", func)
        s.register(s.app, blue)

    theirs, ours = await run(setup, ["/decorator", "/function"])
    assert ours == theirs
    assert [(o.body, o.events) for o in theirs] == [
        (b"boom", ["MyDecoratorException"]),
        (b"bam", ["MyFunctionException"]),
    ]


async def test_blueprint_app_error_handling() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        errors = s.blueprint("errors")

        @errors.app_errorhandler(403)
        def forbidden_handler(e: t.Any) -> t.Any:
            return "you shall not pass", 403

        def forbidden() -> t.Any:
            s.api.abort(403)

        s.route(s.app, "/forbidden", forbidden)
        forbidden_bp = s.blueprint("forbidden_bp")
        s.route(forbidden_bp, "/nope", forbidden, endpoint="nope")
        s.register(s.app, errors)
        s.register(s.app, forbidden_bp)

    theirs, ours = await run(setup, ["/forbidden", "/nope"])
    assert ours == theirs
    assert [o.body for o in theirs] == [b"you shall not pass"] * 2


@pytest.mark.parametrize(
    ("prefix", "rule", "url"),
    [
        ("", "/", "/"),
        ("/", "", "/"),
        ("/", "/", "/"),
        ("/foo", "", "/foo"),
        ("/foo/", "", "/foo/"),
        ("", "/bar", "/bar"),
        ("/foo/", "/bar", "/foo/bar"),
        ("/foo/", "bar", "/foo/bar"),
        ("/foo", "/bar", "/foo/bar"),
        ("/foo/", "//bar", "/foo/bar"),
        ("/foo//", "/bar", "/foo/bar"),
    ],
)
async def test_blueprint_prefix_slash(prefix: str, rule: str, url: str) -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("test", url_prefix=prefix)
        s.route(bp, rule, lambda: ("", 204), endpoint="index")
        s.register(s.app, bp)

    theirs, ours = await run(setup, [url])
    assert ours == theirs
    assert theirs[0].status == 204


async def test_blueprint_url_processors() -> None:
    """Flask's ``lang_code`` pattern: a preprocessor pops the path parameter
    into ``g``, ``url_defaults`` puts it back into ``url_for``."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api
        bp = s.blueprint("frontend", url_prefix="/<lang_code>")

        @bp.url_defaults
        def add_language_code(endpoint: str, values: dict[str, t.Any]) -> None:
            values.setdefault("lang_code", api.g.lang_code)

        @bp.url_value_preprocessor
        def pull_lang_code(endpoint: str | None, values: dict[str, t.Any]) -> None:
            api.g.lang_code = values.pop("lang_code")

        s.route(bp, "/", lambda **kw: api.url_for(".about"), endpoint="index")
        s.route(bp, "/about", lambda **kw: api.url_for(".index"), endpoint="about")
        s.register(s.app, bp)

    theirs, ours = await run(setup, ["/de/", "/de/about"])
    assert ours == theirs
    assert [o.body for o in theirs] == [b"/de/about", b"/de/"]


async def test_app_url_processors_registered_by_a_blueprint() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api
        bp = s.blueprint("bp")

        @bp.app_url_defaults
        def add_language_code(endpoint: str, values: dict[str, t.Any]) -> None:
            values.setdefault("lang_code", api.g.lang_code)

        @bp.app_url_value_preprocessor
        def pull_lang_code(endpoint: str | None, values: dict[str, t.Any]) -> None:
            api.g.lang_code = values.pop("lang_code")

        s.route(s.app, "/<lang_code>/", lambda **kw: api.url_for("about"), endpoint="index")
        s.route(s.app, "/<lang_code>/about", lambda **kw: api.url_for("index"), endpoint="about")
        s.register(s.app, bp)

    theirs, ours = await run(setup, ["/de/", "/de/about"])
    assert ours == theirs
    assert [o.body for o in theirs] == [b"/de/about", b"/de/"]


async def test_request_processing() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("bp")

        @bp.before_request
        def before_bp() -> None:
            ev.append("before")

        @bp.after_request
        def after_bp(response: t.Any) -> t.Any:
            response.data += b"|after"
            ev.append("after")
            return response

        @bp.teardown_request
        def teardown_bp(exc: BaseException | None) -> None:
            ev.append("teardown")

        s.route(bp, "/bp", lambda: "request", endpoint="bp_endpoint")
        s.route(s.app, "/app", lambda: "app", endpoint="app_endpoint")
        s.register(s.app, bp)

    theirs, ours = await run(setup, ["/bp", "/app"])
    assert ours == theirs
    assert theirs[0].body == b"request|after"
    assert theirs[0].events == ["before", "after", "teardown"]
    # Only the blueprint's routes run its hooks.
    assert theirs[1].events == []


async def test_app_request_processing() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("bp")

        @bp.before_app_request
        def before_app() -> None:
            ev.append("before")

        @bp.after_app_request
        def after_app(response: t.Any) -> t.Any:
            response.data += b"|after"
            ev.append("after")
            return response

        @bp.teardown_app_request
        def teardown_app(exc: BaseException | None) -> None:
            ev.append("teardown")

        s.register(s.app, bp)
        s.route(s.app, "/", lambda: "request", endpoint="bp_endpoint")

    theirs, ours = await run(setup, ["/", "/"])
    assert ours == theirs
    assert [(o.body, o.events) for o in theirs] == [
        (b"request|after", ["before", "after", "teardown"])
    ] * 2


async def test_nested_blueprint() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api
        parent, child, grandchild = (s.blueprint(n) for n in ("parent", "child", "grandchild"))

        @parent.errorhandler(403)
        def forbidden(e: t.Any) -> t.Any:
            return "Parent no", 403

        @grandchild.errorhandler(403)
        def grandchild_forbidden(e: t.Any) -> t.Any:
            return "Grandchild no", 403

        def no() -> t.Any:
            api.abort(403)

        for bp, label in ((parent, "Parent"), (child, "Child"), (grandchild, "Grandchild")):
            s.route(bp, "/", lambda label=label: f"{label} yes", endpoint=f"{bp.name}_index")
            s.route(bp, "/no", no, endpoint=f"{bp.name}_no")
        s.register(child, grandchild, url_prefix="/grandchild")
        s.register(parent, child, url_prefix="/child")
        s.register(s.app, parent, url_prefix="/parent")

    paths = [
        "/parent/",
        "/parent/child/",
        "/parent/child/grandchild/",
        "/parent/no",
        "/parent/child/no",
        "/parent/child/grandchild/no",
    ]
    theirs, ours = await run(setup, paths)
    assert ours == theirs
    assert [o.body for o in theirs] == [
        b"Parent yes",
        b"Child yes",
        b"Grandchild yes",
        b"Parent no",
        b"Parent no",
        b"Grandchild no",
    ]


async def test_nested_callback_order() -> None:
    """Before hooks app, parent, child; teardown unwinds child, parent, app."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        g = s.api.g
        parent, child = s.blueprint("parent"), s.blueprint("child")
        for target, label in ((s.app, "app"), (parent, "parent"), (child, "child")):
            for n in (1, 2):
                tag = f"{label}_{n}"

                def before(tag: str = tag) -> None:
                    g.setdefault("seen", []).append(tag)

                def teardown(exc: t.Any, tag: str = tag) -> None:
                    ev.append(("teardown", tag, g.seen.pop() == tag))

                def after(response: t.Any, tag: str = tag) -> t.Any:
                    ev.append(("after", tag))
                    return response

                target.before_request(before)
                target.teardown_request(teardown)
                target.after_request(after)

        s.route(child, "/a", lambda: ", ".join(g.seen), endpoint="a")
        s.register(parent, child)
        s.register(s.app, parent)

    theirs, ours = await run(setup, ["/a"])
    assert ours == theirs
    assert theirs[0].body == b"app_1, app_2, parent_1, parent_2, child_1, child_2"
    assert [e[1] for e in theirs[0].events if e[0] == "after"] == [
        "child_2",
        "child_1",
        "parent_2",
        "parent_1",
        "app_2",
        "app_1",
    ]
    assert all(ok for kind, _, *ok in theirs[0].events if kind == "teardown")


@pytest.mark.parametrize(
    ("parent_init", "child_init", "parent_registration", "child_registration"),
    [
        ("/parent", "/child", None, None),
        ("/parent", None, None, "/child"),
        (None, None, "/parent", "/child"),
        ("/other", "/something", "/parent", "/child"),
    ],
)
async def test_nesting_url_prefixes(
    parent_init: str | None,
    child_init: str | None,
    parent_registration: str | None,
    child_registration: str | None,
) -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        parent = s.blueprint("parent", url_prefix=parent_init)
        child = s.blueprint("child", url_prefix=child_init)
        s.route(child, "/", lambda: "index", endpoint="index")
        s.register(parent, child, url_prefix=child_registration)
        s.register(s.app, parent, url_prefix=parent_registration)

    theirs, ours = await run(setup, ["/parent/child/"])
    assert ours == theirs
    assert theirs[0].status == 200


async def test_blueprint_renaming() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api
        bp, bp2 = s.blueprint("bp"), s.blueprint("bp2")
        s.route(bp, "/", lambda: api.request.endpoint, endpoint="index")

        def error() -> t.Any:
            api.abort(403)

        s.route(bp, "/error", error)

        @bp.errorhandler(403)
        def forbidden(_: Exception) -> t.Any:
            return "Error", 403

        s.route(bp2, "/", lambda: api.request.endpoint, endpoint="index2")
        s.register(bp, bp2, url_prefix="/a", name="sub")
        s.register(s.app, bp, url_prefix="/a")
        s.register(s.app, bp, url_prefix="/b", name="alt")

    paths = ["/a/", "/b/", "/a/a/", "/b/a/", "/a/error", "/b/error"]
    theirs, ours = await run(setup, paths)
    assert ours == theirs
    assert [o.body for o in theirs] == [
        b"bp.index",
        b"alt.index",
        b"bp.sub.index2",
        b"alt.sub.index2",
        b"Error",
        b"Error",
    ]


def test_unique_blueprint_names() -> None:
    import flask
    from fastapi import FastAPI

    import fastapi_flaskcompat

    outcomes = []
    for api, app in (
        (flask, flask.Flask("parity")),
        (fastapi_flaskcompat, fastapi_flaskcompat.FlaskCompat(FastAPI())),
    ):
        bp, bp2 = api.Blueprint("bp", __name__), api.Blueprint("bp", __name__)
        trace = []
        for blueprint, options in ((bp, {}), (bp, {}), (bp, {"name": "again"}), (bp2, {})):
            try:
                app.register_blueprint(blueprint, **options)
                trace.append("ok")
            except ValueError as e:
                trace.append(str(e))
        app.register_blueprint(bp2, name="alt")
        trace.append(sorted(app.blueprints))
        outcomes.append(trace)
    theirs, ours = outcomes
    assert ours == theirs
    assert theirs[:3] == [
        "ok",
        "The name 'bp' is already registered for this blueprint. Use 'name=' to provide"
        " a unique name.",
        "ok",
    ]


@pytest.mark.parametrize("name", ["", "a.b"])
def test_invalid_blueprint_names(name: str) -> None:
    import flask

    import fastapi_flaskcompat

    errors = []
    for api in (flask, fastapi_flaskcompat):
        with pytest.raises(ValueError) as info:
            api.Blueprint(name, __name__)
        errors.append(str(info.value))
    assert errors[0] == errors[1]


def test_self_registration() -> None:
    import fastapi_flaskcompat

    bp = fastapi_flaskcompat.Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="Cannot register a blueprint on itself"):
        bp.register_blueprint(bp)


async def test_request_blueprint_attributes_seen_by_app_hooks() -> None:
    """``request.endpoint``/``blueprint``/``blueprints`` in an app-level
    before_request hook (before routing here), for a nested route and an app one."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        request = s.api.request
        parent, child = s.blueprint("parent", url_prefix="/p"), s.blueprint("child")

        @s.app.before_request
        def where() -> None:
            ev.append((request.endpoint, request.blueprint, list(request.blueprints)))

        s.route(child, "/c", lambda: "c", endpoint="c")
        s.route(s.app, "/", lambda: "root", endpoint="root")
        s.register(parent, child, url_prefix="/k")
        s.register(s.app, parent)

    theirs, ours = await run(setup, ["/p/k/c", "/", "/missing"])
    # Intended difference: the body of a 404 without a Flask handler is FastAPI's.
    assert ours[:2] == theirs[:2]
    assert (ours[2].status, ours[2].events) == (theirs[2].status, theirs[2].events)
    assert [o.events for o in theirs] == [
        [("parent.child.c", "parent.child", ["parent.child", "parent"])],
        [("root", None, [])],
        [(None, None, [])],
    ]


async def test_a_blueprint_before_request_short_circuits_and_its_after_request_runs() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("bp", url_prefix="/bp")

        @bp.before_request
        def deny() -> t.Any:
            return "denied", 401

        @bp.after_request
        def mark(response: t.Any) -> t.Any:
            response.headers["X-Bp"] = "after"
            return response

        s.route(bp, "/x", lambda: ev.append("view") or "x", endpoint="x")
        s.register(s.app, bp)

    theirs, ours = await run(setup, ["/bp/x"], select=("x-bp",))
    assert ours == theirs
    assert (theirs[0].status, theirs[0].body, theirs[0].events) == (401, b"denied", [])
    assert theirs[0].headers["x-bp"] == ["after"]


async def test_error_handlers_of_a_blueprint_for_errors_of_app_hooks() -> None:
    """Flask knows the blueprint before dispatching: an app before_request error
    on a blueprint's route is answered by the blueprint's handler first."""

    class Boom(Exception):
        pass

    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("bp", url_prefix="/bp")

        @s.app.before_request
        def boom() -> None:
            raise Boom()

        @bp.errorhandler(Boom)
        def bp_boom(e: Exception) -> t.Any:
            return "bp handled", 500

        @s.app.errorhandler(Boom)
        def app_boom(e: Exception) -> t.Any:
            return "app handled", 500

        s.route(bp, "/x", lambda: "x", endpoint="x")
        s.route(s.app, "/y", lambda: "y", endpoint="y")
        s.register(s.app, bp)

    theirs, ours = await run(setup, ["/bp/x", "/y"])
    assert ours == theirs
    assert [o.body for o in theirs] == [b"bp handled", b"app handled"]


async def test_404_and_405_answered_by_the_apps_handlers_not_a_blueprints() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("bp", url_prefix="/bp")

        @bp.errorhandler(404)
        def bp_404(e: t.Any) -> t.Any:
            return "bp 404", 404

        @s.app.errorhandler(404)
        def app_404(e: t.Any) -> t.Any:
            return f"app 404: {type(e).__name__}", 404

        @s.app.errorhandler(405)
        def app_405(e: t.Any) -> t.Any:
            return f"app 405: {sorted(e.valid_methods or [])}", 405

        s.route(bp, "/x", lambda: "x", endpoint="x")
        s.register(s.app, bp)

    theirs, ours = await run(setup, ["/bp/missing", "/elsewhere", Req("/bp/x", method="POST")])
    for o in (*theirs, *ours):
        # Flask adds HEAD and OPTIONS to a GET route's methods.
        o.body = o.body.replace(b"'HEAD', ", b"").replace(b", 'OPTIONS'", b"")
    assert ours == theirs
    assert [o.body for o in theirs] == [
        b"app 404: NotFound",
        b"app 404: NotFound",
        b"app 405: ['GET']",
    ]


async def test_dotted_names_from_app() -> None:
    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api
        test = s.blueprint("test")
        s.route(s.app, "/", lambda: api.url_for("test.index"), endpoint="app_index")
        s.route(test, "/test/", lambda: api.url_for("app_index"), endpoint="index")
        s.register(s.app, test)

    theirs, ours = await run(setup, ["/", "/test/"])
    assert ours == theirs
    assert [o.body for o in theirs] == [b"/test/", b"/"]


async def test_empty_url_defaults() -> None:
    """Flask's case routes ``/`` with ``defaults={"page": 1}``; route defaults
    are Werkzeug's, so here the view's own default gives the value on both
    sides (what a ported view does): two routes, one endpoint."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("bp")

        def something(page: int = 1) -> str:
            return f"{page!r}"

        s.route(bp, "/", something, endpoint="something")
        s.route(bp, "/page/<int:page>", something, endpoint="something")
        s.register(s.app, bp)

    theirs, ours = await run(setup, ["/", "/page/2"])
    assert ours == theirs
    assert [o.body for o in theirs] == [b"1", b"2"]


async def test_route_decorator_custom_endpoint() -> None:
    """Flask's ``@bp.route(rule, endpoint=...)`` decorator itself, on both sides."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api
        bp = s.blueprint("bp")

        def endpoint_name() -> t.Any:
            return api.make_response(api.request.endpoint)

        for rule, endpoint, name in (
            ("/foo", None, "foo"),
            ("/bar", "bar", "foo_bar"),
            ("/bar/123", "123", "foo_bar_foo"),
            ("/bar/foo", None, "bar_foo"),
        ):

            def view() -> t.Any:
                return endpoint_name()

            view.__name__ = name
            options = {} if endpoint is None else {"endpoint": endpoint}
            bp.route(rule, **options)(view)
        s.register(s.app, bp, url_prefix="/py")
        s.route(s.app, "/", lambda: api.request.endpoint, endpoint="index")

    theirs, ours = await run(setup, ["/", "/py/foo", "/py/bar", "/py/bar/123", "/py/bar/foo"])
    assert ours == theirs
    assert [o.body for o in theirs] == [b"index", b"bp.foo", b"bp.bar", b"bp.123", b"bp.bar_foo"]


def test_route_decorator_custom_endpoint_with_dots() -> None:
    """Flask's ``bp.add_url_rule`` is ``add_api_route`` here (FastAPI's way)."""
    import flask

    import fastapi_flaskcompat

    def view() -> str:
        return ""

    view.__name__ = "a.b"
    errors = []
    for api in (flask, fastapi_flaskcompat):
        bp = api.Blueprint("bp", __name__)
        add = bp.add_url_rule if api is flask else bp.add_api_route
        seen = []
        with pytest.raises(ValueError) as info:
            bp.route("/", endpoint="a.b")(lambda: "")
        seen.append(str(info.value))
        with pytest.raises(ValueError) as info:
            if api is flask:
                add("/", endpoint="a.b")
            else:
                add("/", lambda: "", name="a.b")
        seen.append(str(info.value))
        with pytest.raises(ValueError) as info:
            add("/", view_func=view) if api is flask else add("/", view)
        seen.append(str(info.value))
        errors.append(seen)
    assert errors[1] == errors[0]
    assert errors[0] == [
        "'endpoint' may not contain a dot '.' character.",
        "'endpoint' may not contain a dot '.' character.",
        "'view_func' name may not contain a dot '.' character.",
    ]


async def test_endpoint_names_view_functions_and_blueprints() -> None:
    """``app.view_functions`` and ``app.blueprints`` name what Flask names,
    nested and renamed registrations included; ``url_for(".x")`` resolves
    under the registration the request came through."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api
        parent, child = s.blueprint("parent"), s.blueprint("child")
        s.route(child, "/", lambda: api.url_for(".index"), endpoint="index")
        s.route(child, "/up", lambda: api.url_for("parent.home"), endpoint="up")
        s.route(parent, "/", lambda: api.url_for(".child.index"), endpoint="home")
        s.register(parent, child, url_prefix="/c")
        s.register(s.app, parent, url_prefix="/p")
        s.register(s.app, parent, url_prefix="/q", name="alt")

        @s.app.before_request
        def names() -> None:
            # Intended difference: Flask's own endpoint is "static", FastAPI's
            # are its docs routes.
            own = {"static", "openapi", "swagger_ui_html", "swagger_ui_redirect", "redoc_html"}
            ev.append(sorted(n for n in s.app.view_functions if n not in own))
            ev.append(sorted(s.app.blueprints))

    theirs, ours = await run(setup, ["/p/", "/q/", "/p/c/", "/q/c/", "/q/c/up"])
    assert ours == theirs
    assert [o.body for o in theirs] == [b"/p/c/", b"/q/c/", b"/p/c/", b"/q/c/", b"/p/"]
    assert theirs[0].events == [
        [
            "alt.child.index",
            "alt.child.up",
            "alt.home",
            "parent.child.index",
            "parent.child.up",
            "parent.home",
        ],
        ["alt", "alt.child", "parent", "parent.child"],
    ]


async def test_plain_router_made_a_blueprint_names_its_endpoints() -> None:
    """FastAPI-only: ``Blueprint.from_router`` names an existing router's routes
    ``"name.route"``; compared with the Flask blueprint the router replaces."""
    from fastapi import APIRouter

    def setup(s: Side, ev: list[t.Any]) -> None:
        api = s.api
        if s.is_flask:
            bp = s.blueprint("legacy")
            s.route(bp, "/x", lambda: api.request.endpoint, endpoint="x")
        else:
            router = APIRouter()
            s.route(router, "/x", lambda: api.request.endpoint, endpoint="x")
            bp = api.Blueprint.from_router(router, "legacy", __name__)
        bp.before_request(lambda: ev.append(api.request.blueprint))
        s.register(s.app, bp, url_prefix="/legacy")

    theirs, ours = await run(setup, ["/legacy/x"])
    assert ours == theirs
    assert (theirs[0].body, theirs[0].events) == (b"legacy.x", ["legacy"])


async def test_a_405_on_a_blueprints_path_reaches_none_of_the_blueprint() -> None:
    """Flask matches no endpoint for a wrong method: ``request.blueprint`` is None,
    so the blueprint's hooks and error handlers stay out and the app's answer, with
    every method the path serves (here from two routes) in ``valid_methods``."""

    def setup(s: Side, ev: list[t.Any]) -> None:
        bp = s.blueprint("bp", url_prefix="/bp")
        bp.before_request(lambda: ev.append("bp before"))

        @bp.after_request
        def bp_after(response: t.Any) -> t.Any:
            ev.append("bp after")
            return response

        bp.teardown_request(lambda e: ev.append("bp teardown"))
        bp.errorhandler(405)(lambda e: ("bp 405", 405))
        s.app.before_request(lambda: ev.append(("app before", s.api.request.blueprint)))

        @s.app.errorhandler(405)
        def app_405(e: t.Any) -> t.Any:
            # Flask adds HEAD and OPTIONS to a GET route's methods; FastAPI doesn't.
            methods = sorted(set(e.valid_methods or ()) - {"HEAD", "OPTIONS"})
            return f"app 405: {methods} {s.api.request.blueprint}", 405

        s.route(bp, "/x", lambda: "get x", endpoint="get_x")
        s.route(bp, "/x", lambda: "post x", methods=["POST"], endpoint="post_x")
        s.register(s.app, bp)

    theirs, ours = await run(setup, [Req("/bp/x", method="DELETE"), "/bp/x"])
    assert ours == theirs
    assert [(o.status, o.body, o.events) for o in theirs] == [
        (405, b"app 405: ['GET', 'POST'] None", [("app before", None)]),
        (200, b"get x", [("app before", "bp"), "bp before", "bp after", "bp teardown"]),
    ]

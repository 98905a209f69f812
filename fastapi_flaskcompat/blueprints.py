"""Flask's blueprints as FastAPI routers (Flask's ``blueprints.py``).

A :class:`Blueprint` is an ``APIRouter``: routes are declared the FastAPI
way (``@bp.get("/")``), and Flask's blueprint decorators register hooks,
error handlers and deferred set-up functions. Its routes are named
``"bp.view"``, as Flask names blueprint endpoints, so ``url_for("bp.view")``
and ``request.endpoint`` read as in Flask.

Registering follows Flask: the blueprint's registries are merged into the
app's under its (dotted) name, its ``record`` functions run, nested
blueprints register as ``"parent.child"``. It happens in
``compat.register_blueprint(bp)`` or, for ``app.include_router(bp)``, when
the app first meets the blueprint's routes (its first request).

Hook order is Flask's: app, parent, child for before_request; the reverse
for after_request and teardown. The app's own phase runs in the middleware,
before routing; a blueprint's runs once the router picked one of its routes
(:class:`BlueprintRoute`), so a route of no blueprint pays nothing for them.
"""

from __future__ import annotations

import inspect
import typing as t
import weakref
from collections import defaultdict
from collections.abc import Callable
from functools import cached_property, update_wrapper

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request as StarletteRequest
from starlette.responses import Response as StarletteResponse
from starlette.routing import BaseRoute

from . import hooks
from .globals import _request_ctx
from .routing import iter_routes
from .scaffold import Scaffold

if t.TYPE_CHECKING:
    from .app import FlaskCompat

F = t.TypeVar("F", bound=Callable[..., t.Any])
DeferredSetupFunction = Callable[["BlueprintSetupState"], None]

_sentinel: t.Any = object()


def join_prefix(url_prefix: str | None, rule: str) -> str:
    """A blueprint's ``url_prefix`` joined to a route's rule, as Flask joins them."""
    if url_prefix:
        rule = "/".join((url_prefix.rstrip("/"), rule.lstrip("/"))) if rule else url_prefix
    return rule if rule.startswith("/") else "/" + rule


def _unprefixed(blueprint: Blueprint, path: str) -> str:
    """``path`` without the blueprint's own prefix (to serve it under another)."""
    own = (blueprint.url_prefix or "").rstrip("/")
    return path[len(own) :] if own and path.startswith(own) else path


def split_blueprint_path(name: str) -> list[str]:
    """``"a.b.c"`` -> ``["a.b.c", "a.b", "a"]``: a blueprint and its parents, innermost first."""
    out = [name]
    while "." in name:
        name = name.rpartition(".")[0]
        out.append(name)
    return out


class BlueprintSetupState:
    """What a blueprint's ``record`` functions receive at registration (Flask's)."""

    def __init__(
        self,
        blueprint: Blueprint,
        app: FlaskCompat,
        options: dict[str, t.Any],
        first_registration: bool,
    ) -> None:
        self.app = app
        self.blueprint = blueprint
        self.options = options
        self.first_registration = first_registration
        subdomain = options.get("subdomain")
        self.subdomain = blueprint.subdomain if subdomain is None else subdomain
        url_prefix = options.get("url_prefix")
        self.url_prefix = blueprint.url_prefix if url_prefix is None else url_prefix
        self.name: str = options.get("name", blueprint.name)
        self.name_prefix: str = options.get("name_prefix", "")
        self.url_defaults = dict(blueprint.url_values_defaults)
        self.url_defaults.update(options.get("url_defaults", ()))

    def add_url_rule(self, rule: str, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise NotImplementedError(
            f"A blueprint set-up function tried to add the Flask URL rule {rule!r}:"
            " routes are FastAPI's here. Declare it on the Blueprint with"
            " @bp.get(...)/@bp.api_route(...) instead."
        )


class BlueprintRoute(APIRoute):
    """A route of a blueprint: runs the blueprint's hooks once the router picked it.

    ``blueprint_name`` is the dotted name it is served under (``"parent.child"``);
    ``owner`` the blueprint the app registers to get those hooks (the top one).
    """

    blueprint_name: str = ""
    owner: Blueprint | None = None

    @cached_property
    def blueprints(self) -> tuple[str, ...]:
        """Its blueprint and their parents, innermost first (``request.blueprints``)."""
        return tuple(split_blueprint_path(self.blueprint_name)) if self.blueprint_name else ()

    def get_route_handler(self) -> Callable[[StarletteRequest], t.Any]:
        handler = super().get_route_handler()

        async def blueprint_handler(request: StarletteRequest) -> StarletteResponse:
            ctx = _request_ctx()
            if ctx is not None:
                rv = await run_blueprint_phase(ctx, self)
                if rv is not None:
                    return ctx.app.make_response(rv)
            response: StarletteResponse = await handler(request)
            return response

        return blueprint_handler


async def run_blueprint_phase(ctx: t.Any, route: BlueprintRoute) -> t.Any:
    """The blueprints' url_value_preprocessors and before_request hooks of
    ``route``; the first value a hook returns, or None. Also makes the
    request's hook plan the blueprint's, for after_request and teardown."""
    app = ctx.app
    owner = route.owner
    if owner is not None and route.blueprints[-1] not in app.blueprints:
        app.register_included_blueprints()  # included after the first request
    plan = app.hook_plan(route.blueprints)
    ctx.plan = plan
    if ctx.blueprint_phase_done:
        return None  # the middleware ran the whole before phase (see middleware.preprocess)
    ctx.blueprint_phase_done = True
    if plan.blueprint_url_value_preprocessors:
        request = ctx.request
        await hooks.run_each(
            plan.blueprint_url_value_preprocessors, request.endpoint, request.view_args
        )
    if plan.blueprint_before:
        return await hooks.run_until_value(plan.blueprint_before)
    return None


# add_api_route's keyword arguments a copied route takes from the original.
_ROUTE_OPTIONS = tuple(
    name
    for name in inspect.signature(APIRouter.add_api_route).parameters
    if name not in ("self", "path", "endpoint", "name", "route_class_override")
)


class Blueprint(APIRouter, Scaffold):
    """Flask's ``Blueprint``, as a FastAPI ``APIRouter``.

    ``Blueprint(name, import_name, url_prefix=...)`` takes Flask's arguments;
    other keyword arguments go to ``APIRouter`` (``tags``, ``dependencies``...).
    """

    _got_registered_once = False
    # Starlette's Router defines __eq__: keep Flask's identity hash (extensions
    # keep blueprints in sets and weak sets).
    __hash__ = object.__hash__

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | None = None,
        static_url_path: str | None = None,
        template_folder: str | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, t.Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = _sentinel,
        **router_options: t.Any,
    ) -> None:
        if not name:
            raise ValueError("'name' may not be empty.")
        if "." in name:
            raise ValueError("'name' may not contain a dot '.' character.")
        router_options.setdefault("route_class", BlueprintRoute)
        # The prefix is joined Flask's way (add_api_route), not FastAPI's.
        APIRouter.__init__(self, **router_options)
        Scaffold.__init__(self, import_name, root_path)
        self.name = name
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        self.static_folder = static_folder
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        self.cli_group = cli_group
        self.view_functions: dict[str, Callable[..., t.Any]] = {}
        self.deferred_functions: list[DeferredSetupFunction] = []
        self.url_values_defaults = url_defaults or {}
        self._blueprints: list[tuple[Blueprint, dict[str, t.Any]]] = []
        # (index in _blueprints, id of a child's route) already served here.
        self._copied: set[tuple[int, int]] = set()
        _instances.add(self)
        _rebase(self)

    @classmethod
    def from_router(cls, router: APIRouter, name: str, import_name: str) -> Blueprint:
        """Make an existing ``APIRouter``'s routes a blueprint's (``"name.route"``)."""
        bp = cls(name, import_name)
        bp.include_router(router)
        return bp

    def __repr__(self) -> str:
        return f"<Blueprint {self.name!r}>"

    @cached_property
    def jinja_loader(self) -> t.Any:
        """The loader of this blueprint's ``template_folder`` (Flask's)."""
        from .templating import folder_loader

        return folder_loader(self.root_path, self.template_folder)

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_registered_once:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the blueprint"
                f" '{self.name}'. It has already been registered at least once, any"
                " changes will not be applied consistently.\n"
                "Make sure all imports, decorators, functions, etc. needed to set up"
                " the blueprint are done before registering it."
            )

    # -- routes --------------------------------------------------------------

    def add_api_route(
        self, path: str, endpoint: Callable[..., t.Any], *, name: str | None = None, **kwargs: t.Any
    ) -> None:
        """FastAPI's ``add_api_route``; the route is named ``"<blueprint>.<name>"``."""
        if name and "." in name:
            raise ValueError("'endpoint' may not contain a dot '.' character.")
        if "." in getattr(endpoint, "__name__", ""):
            raise ValueError("'view_func' name may not contain a dot '.' character.")
        local = name or getattr(endpoint, "__name__", None) or "route"
        kwargs.setdefault("route_class_override", self.route_class)
        path = join_prefix(self.url_prefix, path)
        self._add_route(path, endpoint, f"{self.name}.{local}", self.name, **kwargs)

    def _add_route(
        self, path: str, endpoint: Callable[..., t.Any], name: str, bp_name: str, **kwargs: t.Any
    ) -> None:
        APIRouter.add_api_route(self, path, endpoint, name=name, **kwargs)
        route = self.routes[-1]
        if isinstance(route, BlueprintRoute):
            route.blueprint_name = bp_name
            route.owner = self

    def include_router(self, router: APIRouter, *, prefix: str = "", **kwargs: t.Any) -> None:
        """A Blueprint is registered as a nested blueprint; a plain router's routes
        become this blueprint's (named ``"<blueprint>.<name>"``)."""
        if isinstance(router, Blueprint):
            self.register_blueprint(router, url_prefix=prefix + (router.url_prefix or "") or None)
            return
        for route, path in iter_routes(router.routes):
            if isinstance(route, APIRoute):
                self._copy_route(route, prefix + path, f"{self.name}.{route.name}", self.name)

    def add_url_rule(self, rule: str, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        """Not provided: routes are FastAPI's (``@bp.get``, ``@bp.route``, ``add_api_route``)."""
        raise NotImplementedError(
            f"Blueprint.add_url_rule({rule!r}): routes are FastAPI's here. Declare it with"
            " @bp.route(rule, methods=[...]) (a FastAPI route), @bp.get(...) or"
            " bp.add_api_route(path, endpoint)."
        )

    def route(  # type: ignore[override]
        self,
        path: str,
        methods: list[str] | None = None,
        *,
        endpoint: str | None = None,
        **kwargs: t.Any,
    ) -> Callable[[F], F]:
        """Flask's ``@bp.route(rule, methods=[...], endpoint=...)``: a FastAPI route
        (GET by default) named ``"<blueprint>.<endpoint>"``."""
        if endpoint is not None:
            if "." in endpoint:
                raise ValueError("'endpoint' may not contain a dot '.' character.")
            kwargs["name"] = endpoint
        return self.api_route(path, methods=methods or ["GET"], **kwargs)

    def _copy_route(self, route: APIRoute, path: str, name: str, bp_name: str) -> None:
        """Serve ``route`` as one of this blueprint's, at ``path`` under its prefix."""
        options = {o: getattr(route, o) for o in _ROUTE_OPTIONS if hasattr(route, o)}
        cls = type(route) if isinstance(route, BlueprintRoute) else self.route_class
        path = join_prefix(self.url_prefix, path)
        self._add_route(path, route.endpoint, name, bp_name, route_class_override=cls, **options)

    # -- registration (Flask's) ------------------------------------------------

    def record(self, func: DeferredSetupFunction) -> None:
        """Call ``func(state)`` when the blueprint is registered on an app."""
        self._check_setup_finished("record")
        self.deferred_functions.append(func)

    def record_once(self, func: DeferredSetupFunction) -> None:
        """Like :meth:`record`, on the first registration only."""
        self._check_setup_finished("record_once")

        def wrapper(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        self.record(update_wrapper(wrapper, func))

    def make_setup_state(
        self, app: FlaskCompat, options: dict[str, t.Any], first_registration: bool = False
    ) -> BlueprintSetupState:
        return BlueprintSetupState(self, app, options, first_registration)

    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Nest ``blueprint`` in this one (Flask's ``Blueprint.register_blueprint``).

        Its routes are served under this blueprint's prefix (``url_prefix=``
        replaces the child's own), named ``"<this>.<child>.<view>"``.
        """
        self._check_setup_finished("register_blueprint")
        if blueprint is self:
            raise ValueError("Cannot register a blueprint on itself")
        self._blueprints.append((blueprint, options))
        self.sync_nested_routes()

    def sync_nested_routes(self) -> None:
        """Serve the nested blueprints' routes as this blueprint's: each child's
        routes are copied once, named ``"<this>.<child>.<view>"``. Runs when a
        child is registered and again when this blueprint is registered on an
        app, so routes a child gained in between are served too (Flask defers
        it all to the app's registration)."""
        for index, (blueprint, options) in enumerate(self._blueprints):
            blueprint.sync_nested_routes()
            child_name = options.get("name", blueprint.name)
            child_prefix = options.get("url_prefix")
            for route, path in iter_routes(blueprint.routes):
                key = (index, id(route))
                if not isinstance(route, APIRoute) or key in self._copied:
                    continue
                self._copied.add(key)
                if child_prefix is not None:
                    path = join_prefix(child_prefix, _unprefixed(blueprint, path))
                bp_name = getattr(route, "blueprint_name", blueprint.name)
                self._copy_route(
                    route,
                    path,
                    f"{self.name}.{child_name}{route.name[len(blueprint.name) :]}",
                    f"{self.name}.{child_name}{bp_name[len(blueprint.name) :]}",
                )

    def register(self, app: FlaskCompat, options: dict[str, t.Any]) -> None:
        """Flask's ``Blueprint.register``: merge this blueprint's registries into
        the app's, run its deferred functions, register nested blueprints."""
        name_prefix = options.get("name_prefix", "")
        self_name = options.get("name", self.name)
        name = f"{name_prefix}.{self_name}".lstrip(".")
        if name in app.blueprints:
            bp_desc = "this" if app.blueprints[name] is self else "a different"
            existing_at = f" '{name}'" if self_name != name else ""
            raise ValueError(
                f"The name '{self_name}' is already registered for"
                f" {bp_desc} blueprint{existing_at}. Use 'name=' to"
                " provide a unique name."
            )
        first_bp_registration = not any(bp is self for bp in app.blueprints.values())
        first_name_registration = name not in app.blueprints
        app.blueprints[name] = self
        if not name_prefix:
            self.sync_nested_routes()
        self._got_registered_once = True
        state = self.make_setup_state(app, options, first_bp_registration)
        if first_name_registration:
            self._merge_blueprint_funcs(app, name)
        for deferred in self.deferred_functions:
            deferred(state)
        for blueprint, bp_options in self._blueprints:
            bp_options = bp_options.copy()
            bp_url_prefix = bp_options.get("url_prefix")
            if bp_url_prefix is None:
                bp_url_prefix = blueprint.url_prefix
            if state.url_prefix is not None and bp_url_prefix is not None:
                bp_options["url_prefix"] = (
                    state.url_prefix.rstrip("/") + "/" + bp_url_prefix.lstrip("/")
                )
            elif bp_url_prefix is not None:
                bp_options["url_prefix"] = bp_url_prefix
            elif state.url_prefix is not None:
                bp_options["url_prefix"] = state.url_prefix
            bp_options["name_prefix"] = name
            blueprint.register(app, bp_options)

    def _merge_blueprint_funcs(self, app: FlaskCompat, name: str) -> None:
        def extend(bp_dict: t.Any, parent_dict: t.Any) -> None:
            for key, values in bp_dict.items():
                key = name if key is None else f"{name}.{key}"
                parent_dict[key].extend(values)

        for key, value in self.error_handler_spec.items():
            key = name if key is None else f"{name}.{key}"
            app.error_handler_spec[key] = defaultdict(
                dict, {code: dict(handlers) for code, handlers in value.items()}
            )
        extend(self.before_request_funcs, app.before_request_funcs)
        extend(self.after_request_funcs, app.after_request_funcs)
        extend(self.teardown_request_funcs, app.teardown_request_funcs)
        extend(self.url_default_functions, app.url_default_functions)
        extend(self.url_value_preprocessors, app.url_value_preprocessors)
        extend(self.template_context_processors, app.template_context_processors)

    # -- the app-wide decorators ---------------------------------------------------

    def before_app_request(self, f: F) -> F:
        """Like ``before_request``, for every request of the app."""
        self._check_setup_finished("before_app_request")
        self.record_once(lambda s: s.app.before_request_funcs[None].append(f))
        return f

    def after_app_request(self, f: F) -> F:
        """Like ``after_request``, for every request of the app."""
        self._check_setup_finished("after_app_request")
        self.record_once(lambda s: s.app.after_request_funcs[None].append(f))
        return f

    def teardown_app_request(self, f: F) -> F:
        """Like ``teardown_request``, for every request of the app."""
        self._check_setup_finished("teardown_app_request")
        self.record_once(lambda s: s.app.teardown_request_funcs[None].append(f))
        return f

    def app_context_processor(self, f: F) -> F:
        """Like ``context_processor``, for templates of the whole app."""
        self._check_setup_finished("app_context_processor")
        self.record_once(lambda s: s.app.template_context_processors[None].append(f))
        return f

    def app_errorhandler(self, code: type[Exception] | int) -> Callable[[F], F]:
        """Like ``errorhandler``, for errors anywhere in the app."""
        self._check_setup_finished("app_errorhandler")

        def decorator(f: F) -> F:
            self.record_once(lambda s: s.app.register_error_handler(code, f))
            return f

        return decorator

    def app_url_value_preprocessor(self, f: F) -> F:
        """Like ``url_value_preprocessor``, for every request of the app."""
        self._check_setup_finished("app_url_value_preprocessor")
        self.record_once(lambda s: s.app.url_value_preprocessors[None].append(f))
        return f

    def app_url_defaults(self, f: F) -> F:
        """Like ``url_defaults``, for every ``url_for`` of the app."""
        self._check_setup_finished("app_url_defaults")
        self.record_once(lambda s: s.app.url_default_functions[None].append(f))
        return f


def registration_router(blueprint: Blueprint, name: str, url_prefix: str | None) -> APIRouter:
    """The routes of ``blueprint`` served as ``name`` under ``url_prefix`` (a
    second registration with ``name=``, or another prefix): copies, renamed."""
    router = APIRouter()
    for route, path in iter_routes(blueprint.routes):
        if not isinstance(route, APIRoute):
            continue
        if url_prefix is not None:
            path = join_prefix(url_prefix, _unprefixed(blueprint, path))
        options = {o: getattr(route, o) for o in _ROUTE_OPTIONS if hasattr(route, o)}
        bp_name = getattr(route, "blueprint_name", blueprint.name)
        router.add_api_route(
            path,
            route.endpoint,
            name=name + route.name[len(blueprint.name) :],
            route_class_override=type(route)
            if isinstance(route, BlueprintRoute)
            else BlueprintRoute,
            **options,
        )
        copy = router.routes[-1]
        assert isinstance(copy, BlueprintRoute)
        copy.blueprint_name = name + bp_name[len(blueprint.name) :]
        copy.owner = blueprint
    return router


# The Flask bridge makes blueprints instances of flask.Blueprint too (extensions
# check isinstance): every instance, made before or after it is turned on.
_extra_base: type | None = None
_instances: weakref.WeakSet[Blueprint] = weakref.WeakSet()


def use_base_class(base: type) -> None:
    """Make every Blueprint, existing and future, also an instance of ``base``."""
    global _extra_base
    _extra_base = base
    for blueprint in list(_instances):
        _rebase(blueprint)


_rebased: dict[type, type] = {}


def _rebase(blueprint: Blueprint) -> None:
    base = _extra_base
    if base is not None and not isinstance(blueprint, base):
        cls = type(blueprint)
        rebased = _rebased.get(cls)
        if rebased is None:
            rebased = _rebased[cls] = type(
                cls.__name__, (cls, base), {"__module__": cls.__module__}
            )
        blueprint.__class__ = rebased


def blueprint_routes(routes: list[BaseRoute]) -> t.Iterator[BlueprintRoute]:
    """The blueprint routes among ``routes`` (routers included lazily too)."""
    for route, _ in iter_routes(routes):
        if isinstance(route, BlueprintRoute):
            yield route

"""Jinja templates, as Flask's ``templating.py`` (extra ``fastapi-flaskcompat[templates]``).

``compat.jinja_env`` is a real ``jinja2.Environment`` (Jinja is used, not
re-implemented): templates load from the app's ``template_folder``, then
from each registered blueprint's, in registration order, as Flask's
dispatching loader does; ``url_for``, ``get_flashed_messages``, ``config``,
``request``, ``session`` and ``g`` are globals; context processors (the
app's, then the request's blueprints') feed every render; Flask's
``before_render_template``/``template_rendered`` signals are sent. So
``render_template`` here and ``flask.render_template`` through the bridge
render the same.
"""

from __future__ import annotations

import os
import typing as t
from collections.abc import Callable, Iterator

from .globals import _get_ctx, _request_ctx, current_app, g, request, session

if t.TYPE_CHECKING:
    import jinja2

    from .app import FlaskCompat


def _jinja() -> t.Any:
    try:
        import jinja2
    except ImportError:
        raise RuntimeError(
            "Templates need Jinja: install fastapi-flaskcompat[templates]."
        ) from None
    return jinja2


def default_template_context() -> dict[str, t.Any]:
    """Flask's default context processor: ``g``, ``request`` and ``session``."""
    context: dict[str, t.Any] = {}
    if _get_ctx(None) is not None:
        context["g"] = g
    if _request_ctx() is not None:
        context["request"] = request
        context["session"] = session
    return context


def folder_loader(root_path: str, template_folder: str | None) -> jinja2.BaseLoader | None:
    """The loader of one app or blueprint's ``template_folder`` (Flask's ``jinja_loader``)."""
    if template_folder is None:
        return None
    loader: jinja2.BaseLoader = _jinja().FileSystemLoader(os.path.join(root_path, template_folder))
    return loader


def create_environment(app: FlaskCompat) -> jinja2.Environment:
    """The app's ``jinja_env``, built once on first use."""
    j2 = _jinja()

    class DispatchingLoader(j2.BaseLoader):  # type: ignore[misc,name-defined]
        """The app's templates first, then each blueprint's, looked up at each load."""

        def _loaders(self) -> Iterator[jinja2.BaseLoader]:
            if app.jinja_loader is not None:
                yield app.jinja_loader
            for blueprint in app.iter_blueprints():
                loader = blueprint.jinja_loader
                if loader is not None:
                    yield loader

        def get_source(
            self, environment: jinja2.Environment, template: str
        ) -> tuple[str, str | None, Callable[[], bool] | None]:
            for loader in self._loaders():
                try:
                    return loader.get_source(environment, template)
                except j2.TemplateNotFound:
                    continue
            raise j2.TemplateNotFound(template)

        def list_templates(self) -> list[str]:
            names: set[str] = set()
            for loader in self._loaders():
                names.update(loader.list_templates())
            return sorted(names)

    options = dict(app.jinja_options)
    options.setdefault("autoescape", app.select_jinja_autoescape)
    if "auto_reload" not in options:
        auto_reload = app.config["TEMPLATES_AUTO_RELOAD"]
        options["auto_reload"] = app.debug if auto_reload is None else auto_reload
    env: jinja2.Environment = j2.Environment(loader=DispatchingLoader(), **options)
    from .helpers import get_flashed_messages

    env.globals.update(
        url_for=app.url_for,
        get_flashed_messages=get_flashed_messages,
        config=app.config,
        request=request,
        session=session,
        g=g,
    )
    env.policies["json.dumps_function"] = app.json.dumps
    return env


def _render(app: FlaskCompat, template: jinja2.Template, context: dict[str, t.Any]) -> str:
    app.update_template_context(context)
    if app.signalling:
        app.signal("before_render_template", template=template, context=context)
    rv = template.render(context)
    if app.signalling:
        app.signal("template_rendered", template=template, context=context)
    return rv


def render_template(template_name_or_list: str | list[str], **context: t.Any) -> str:
    """Render a template from the app's (or blueprints') template folders, as Flask's."""
    app: FlaskCompat = current_app._get_current_object()  # type: ignore[attr-defined]
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _render(app, template, context)


def render_template_string(source: str, **context: t.Any) -> str:
    """Render a template from a string, as Flask's."""
    app: FlaskCompat = current_app._get_current_object()  # type: ignore[attr-defined]
    return _render(app, app.jinja_env.from_string(source), context)

"""Per-tenant state, written before Flask 2.3 removed the context stacks."""
from flask import _app_ctx_stack, g, has_request_context, request
from flask.globals import _cv_request
from werkzeug.local import LocalProxy


def _lookup_tenant():
    if not has_request_context():
        return None
    if "tenant" not in g:
        g.tenant = request.headers.get("X-Tenant", "public")
    return g.tenant


current_tenant = LocalProxy(_lookup_tenant)


def cached_on_app_context(key, factory):
    ctx = _app_ctx_stack.top
    if not hasattr(ctx, key):
        setattr(ctx, key, factory())
    return getattr(ctx, key)


def request_context_or_none():
    return _cv_request.get(None)

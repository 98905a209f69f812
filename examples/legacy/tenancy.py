"""Which tenant the request acts for."""

from __future__ import annotations

from flask import abort, g, request
from flask_login import current_user


def tenant_id() -> str:
    """The user's own tenant; an admin may ask for another with ``?tenant=``."""
    if "tenant" not in g:
        wanted = request.args.get("tenant")
        own = current_user.tenant
        if wanted and wanted != own and not current_user.admin:
            abort(403, description=f"{current_user.id} may not act for tenant {wanted!r}.")
        g.tenant = wanted or own
    return g.tenant  # type: ignore[no-any-return]

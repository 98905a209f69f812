"""Which tenant the request acts for."""

from __future__ import annotations

from fastapi_flaskcompat import abort, g, request  # was: from flask import abort, g, request

from .auth import current_user, is_admin


def tenant_id() -> str:
    if "tenant" not in g:
        # Admins may act for another tenant; everyone else gets their own.
        wanted = request.args.get("tenant")
        own = g.account["tenant"]
        if wanted and wanted != own and not is_admin():
            abort(403, description=f"{current_user()} may not act for tenant {wanted!r}.")
        g.tenant = wanted or own
    return g.tenant  # type: ignore[no-any-return]

"""Configuration, as ``app.config.from_object(Settings)`` reads it."""

from __future__ import annotations

import os
import tempfile


class Settings:
    # Shared by both apps: a session cookie one writes, the other reads.
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-legacy-notes-secret")
    DATABASE = os.environ.get("LEGACY_NOTES_DB") or os.path.join(
        tempfile.gettempdir(), "legacy-notes-example.sqlite3"
    )
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_PROTECTION = "basic"

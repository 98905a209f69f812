"""Settings from the environment; no Flask here."""
import os

ENV = os.environ.get("FLASK_ENV", "production")
DEBUG = ENV == "development"
SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite:///shop.db")
SECRET_KEY = os.environ.get("SECRET_KEY", "not-secret")
CACHE_TYPE = "SimpleCache"

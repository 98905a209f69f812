"""User models."""
import datetime as dt

from flask_login import UserMixin

from shop.extensions import bcrypt, db


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(80), unique=True, nullable=False)
    _password = db.Column("password", db.LargeBinary(128), nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=dt.datetime.utcnow)

    @classmethod
    def get_by_id(cls, record_id):
        return cls.query.get(record_id)

    def check_password(self, value):
        return bcrypt.check_password_hash(self._password, value)

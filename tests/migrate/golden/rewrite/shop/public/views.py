"""Public section, including homepage and signup."""
from fastapi_flaskcompat import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import login_required, login_user, logout_user

from shop.extensions import login_manager
from shop.user.models import User
from shop.utils import flash_errors

blueprint = Blueprint("public", __name__, static_folder="../static")


@login_manager.user_loader
def load_user(user_id):
    return User.get_by_id(int(user_id))


@blueprint.route("/", methods=["GET", "POST"])
def home():
    current_app.logger.info("Hello from the home page!")
    if request.method == "POST":
        user = User.query.filter_by(username=request.form["username"]).first()
        if user and user.check_password(request.form["password"]):
            login_user(user)
            flash("You are logged in.", "success")
            redirect_url = request.args.get("next") or url_for("user.members")
            return redirect(redirect_url)
        flash_errors(request.form)
    return render_template("public/home.html")


@blueprint.route("/logout/")
@login_required
def logout():
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("public.home"))

from flask import abort, current_app, g, jsonify, request, url_for

from . import bp

ITEMS = {n: {"id": n, "name": f"item {n}"} for n in range(1, 26)}


def page_args():
    """The page asked for and the configured page size."""
    page = request.args.get("page", 1, type=int)
    size = current_app.config["PAGE_SIZE"]
    if current_app.config.get("STRICT_PAGING") and page < 1:
        abort(400)
    return max(page, 1), size


def audit(event, **details):
    current_app.logger.info("%s %s %s", g.get("request_id"), event, details)


def get_item_or_404(item_id):
    item = ITEMS.get(item_id)
    if item is None:
        abort(404)
    return item


def paginate(items):
    page, size = page_args()
    start = (page - 1) * size
    chunk = items[start : start + size]
    links = {}
    if start + size < len(items):
        links["next"] = url_for("api.list_items", page=page + 1)
    return jsonify(items=chunk, page=page, links=links)


def read_item():
    data = request.get_json()
    if not isinstance(data, dict) or "name" not in data:
        abort(400, "a JSON object with a name")
    return {"name": str(data["name"])}


@bp.route("/items")
def list_items():
    audit("list")
    return paginate(list(ITEMS.values()))


@bp.route("/items/<int:item_id>")
def show_item(item_id):
    return jsonify(get_item_or_404(item_id))


@bp.route("/items", methods=["POST"])
def create_item():
    item = read_item()
    audit("create", name=item["name"])
    return jsonify(item), 201

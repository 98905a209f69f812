"""Shared pieces of the request-body tests: bodies and the legacy helper."""

from __future__ import annotations

import json
import typing as t
from collections.abc import Callable

from werkzeug.exceptions import HTTPException

B = "XyZb0undary"

MULTIPART = (
    f"--{B}\r\n"
    'Content-Disposition: form-data; name="name"\r\n\r\n'
    "Zoë ✓ + 100%\r\n"
    f"--{B}\r\n"
    'Content-Disposition: form-data; name="tag"\r\n\r\n'
    "one\r\n"
    f"--{B}\r\n"
    'Content-Disposition: form-data; name="clé"\r\n\r\n'
    "välue\r\n"
    f"--{B}\r\n"
    'Content-Disposition: form-data; name="tag"\r\n\r\n'
    "two\r\n"
    f"--{B}\r\n"
    'Content-Disposition: form-data; name="f"; filename="résumé.txt"\r\n'
    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    "first file ✓\r\nsecond line\r\n"
    f"--{B}\r\n"
    "Content-Disposition: form-data; name=\"f\"; filename*=UTF-8''na%C3%AFve.bin\r\n"
    "Content-Type: application/octet-stream\r\n\r\n"
).encode() + (
    bytes(range(256))
    + f"\r\n--{B}X not a boundary\r\n"
    f"\r\n--{B}\r\n"
    'Content-Disposition: form-data; name="g"; filename="empty.png"\r\n'
    "Content-Type: image/png\r\n\r\n"
    f"\r\n--{B}--\r\n".encode()
)

JSON_DOC = {"a": "ünïcødé ✓ 😀", "n": [1, {"x": [True, None, 1.5, -0.0]}], "": {"deep": [[[]]]}}

#: name -> (content type, body bytes); all small enough to be preloaded by default.
BODIES: dict[str, tuple[str, bytes]] = {
    "multipart": (f"multipart/form-data; boundary={B}", MULTIPART),
    "urlencoded": (
        "application/x-www-form-urlencoded",
        b"q=a+b&p=100%25&t=%E2%9C%93&q=c%2Bd&empty=&flag&bad=%zz&caf%C3%A9=%C3%A9t%C3%A9",
    ),
    "urlencoded_latin1": ("application/x-www-form-urlencoded", b"a=%FF%FE&b=\xff\xe9"),
    "json": ("application/json", json.dumps(JSON_DOC, ensure_ascii=False).encode()),
    "json_escaped": ("application/json; charset=utf-8", json.dumps(JSON_DOC).encode()),
    "json_vendor": ("application/vnd.api+json", b'{"data": [{"id": "1"}]}'),
    "json_utf16": ("application/json", json.dumps(JSON_DOC).encode("utf-16")),
    "json_invalid": ("application/json", b'{"a": [1, 2'),
    "json_as_text": ("text/plain", b'{"a": 1}'),
    "octets": ("application/octet-stream", bytes(range(256)) * 4),
    "xml_webhook": ("application/xml", b'<?xml version="1.0"?><event id="7">pa\xc3\xafd</event>'),
    "multipart_no_boundary": ("multipart/form-data", MULTIPART),
    "multipart_truncated": (f"multipart/form-data; boundary={B}", MULTIPART[:300]),
    "multipart_garbage": (f"multipart/form-data; boundary={B}", b"no parts here\r\n"),
    "multipart_wrong_boundary": ("multipart/form-data; boundary=other", MULTIPART),
}


def _files(files: t.Any) -> list[t.Any]:
    return [
        [k, fs.name, fs.filename, fs.content_type, fs.mimetype, fs.read().decode("latin-1")]
        for k, fs in files.items(multi=True)
    ]


OPS: dict[str, Callable[[t.Any], t.Any]] = {
    "data": lambda r: r.data.decode("latin-1"),
    "get_data": lambda r: r.get_data().decode("latin-1"),
    "get_data_text": lambda r: r.get_data(as_text=True),
    "get_data_nocache": lambda r: r.get_data(cache=False).decode("latin-1"),
    "get_data_parse_form": lambda r: r.get_data(parse_form_data=True).decode("latin-1"),
    "form": lambda r: list(r.form.items(multi=True)),
    "files": lambda r: _files(r.files),
    "values": lambda r: list(r.values.items(multi=True)),
    "stream": lambda r: r.stream.read().decode("latin-1"),
    "input_stream": lambda r: r.input_stream.read().decode("latin-1"),
    "wsgi_input": lambda r: r.environ["wsgi.input"].read().decode("latin-1"),
    "is_json": lambda r: r.is_json,
    "json": lambda r: r.json,
    "get_json": lambda r: r.get_json(),
    "get_json_silent": lambda r: r.get_json(silent=True),
    "get_json_force": lambda r: r.get_json(force=True),
    "get_json_force_silent": lambda r: r.get_json(force=True, silent=True),
    "get_json_nocache": lambda r: r.get_json(cache=False),
    "meta": lambda r: [r.mimetype, r.content_type, r.content_length, r.mimetype_params],
}

#: Werkzeug's results depend on the order of access: each scenario is one request.
SCENARIOS: dict[str, list[str]] = {
    "data_first": ["meta", "data", "form", "files", "values", "get_data"],
    "get_data_first": ["get_data", "form", "files", "values", "data"],
    "form_first": ["form", "files", "get_data", "data", "stream"],
    "files_first": ["files", "form", "get_data_text"],
    "json": ["is_json", "get_json", "get_json_silent", "json", "get_data_text"],
    "json_silent_first": ["get_json_silent", "get_json", "get_json_force"],
    "json_force": ["get_json_force_silent", "get_json_force", "get_json"],
    "json_nocache": ["get_json_nocache", "get_json_nocache", "get_json_silent"],
    "stream": ["stream", "get_data", "form"],
    "input_stream": ["input_stream"],
    "wsgi_input": ["wsgi_input"],
    "nocache": ["get_data_nocache", "get_data_nocache", "form"],
    "parse_form": ["get_data_parse_form", "form", "files", "get_data"],
}


def observe(request: t.Any, scenario: str) -> list[t.Any]:
    """The legacy helper: read the body the way ``scenario`` says, record everything."""
    out: list[t.Any] = []
    for op in SCENARIOS[scenario]:
        try:
            out.append([op, OPS[op](request)])
        except HTTPException as e:
            out.append([op, "error", e.code, e.description])
    return out

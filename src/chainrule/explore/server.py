"""The explore server: the standard library's threading HTTP server, bound to 127.0.0.1 by default.

``GET /`` is the page, ``GET /static/<name>`` its files (only names shipped in ``static/``),
``POST /api/<route>`` the JSON API (``api.py``). No request names a file: the static files are a
fixed list read from the package, and the handlers read only the run folder given at start.
"""

from __future__ import annotations

import json
import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .api import dispatch
from .protocol import MAX_BODY_BYTES, Context

STATIC = Path(__file__).parent / "static"
FILES = {p.name: p for p in STATIC.iterdir() if p.is_file()}  # the whole list of files ever served


class Handler(BaseHTTPRequestHandler):
    server_version = "chainrule-explore"
    ctx: Context  # set on the subclass made by make_server

    def log_message(self, format, *args):  # quiet: the terminal shows the URL, not every request
        pass

    def send_json(self, status: int, obj: dict) -> None:
        body = json.dumps(obj, allow_nan=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        name = "index.html" if path in ("/", "/index.html") else path.removeprefix("/static/")
        file = FILES.get(name) if (path in ("/", "/index.html") or path.startswith("/static/")) else None
        if file is None:
            self.send_json(404, {"error": f"no such page: {path}"})
            return
        body = file.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", mimetypes.guess_type(file.name)[0] or "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        path = self.path.split("?", 1)[0]
        if not path.startswith("/api/"):
            self.send_json(404, {"error": f"no such API: {path}"})
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True  # the body is not read: the connection cannot be reused
            self.send_json(413, {"error": f"request body of {length} bytes refused (the limit is {MAX_BODY_BYTES})"})
            return
        status, obj = dispatch(path.removeprefix("/api/"), self.rfile.read(length), self.ctx)
        self.send_json(status, obj)


def make_server(run_dir: Path | None, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A server for the page on ``run_dir`` (not started); port 0 picks a free port."""
    handler = type("BoundHandler", (Handler,), {"ctx": Context(run_dir=run_dir)})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def start_in_thread(run_dir: Path | None, host: str = "127.0.0.1", port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Start a server in a background thread (tests, notebooks); returns it and its URL."""
    server = make_server(run_dir, host, port)
    threading.Thread(target=server.serve_forever, daemon=True, name="chainrule-explore").start()
    h, p = server.server_address[:2]
    return server, f"http://{h}:{p}/"

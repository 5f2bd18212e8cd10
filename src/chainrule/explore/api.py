"""The explore API: one table from route to handler, gathered from the views, and one dispatcher.

``POST /api/<route>`` with a JSON object body; the answer is a JSON object. Errors are
``{"error": message}`` with a 4xx status (bad input) or 500 (a bug; the message says so, the
traceback goes to the server's log, never to the page).
"""

from __future__ import annotations

import json
import logging

from .protocol import BadRequest, Context
from .views import backprop, convolution, network, signal, training

ROUTES = {}
for _view in (network, backprop, convolution, signal, training):
    ROUTES.update(_view.ROUTES)

log = logging.getLogger("chainrule.explore")


def dispatch(route: str, body: bytes, ctx: Context) -> tuple[int, dict]:
    """(HTTP status, JSON object) for a POST of ``body`` to ``/api/<route>``."""
    handler = ROUTES.get(route)
    if handler is None:
        return 404, {"error": f"no API route {route!r}"}
    try:
        payload = json.loads(body.decode("utf-8")) if body.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return 400, {"error": f"the request body is not JSON: {err}"}
    if not isinstance(payload, dict):
        return 400, {"error": f"the request body must be a JSON object, got {type(payload).__name__}"}
    try:
        return 200, handler(payload, ctx)
    except BadRequest as err:
        return err.status, {"error": str(err)}
    except Exception:  # a bug: logged with its traceback, the page gets one line and the server stays up
        log.exception("explore: %s failed", route)
        return 500, {"error": f"internal error in {route} (a bug in chainrule; the server log has the details)"}

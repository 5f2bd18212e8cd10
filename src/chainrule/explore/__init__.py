"""``chainrule explore``: the lecture's pictures as a live page, every number computed by chainrule.

The server (``server.py``, the standard library's ``http.server``) answers one page (``static/``)
and a small JSON API (``api.py``): each view of the page is a module under ``views/`` with a
``ROUTES`` table of handlers, ``handler(payload: dict, ctx: Context) -> dict``. The page only
draws; the numbers come from chainrule on the server. ``docs/explore.md`` documents the API.
"""

from .protocol import BadRequest, Context

__all__ = ["BadRequest", "Context"]

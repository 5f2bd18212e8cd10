"""The page's views, one module each, each with a ``ROUTES`` table: route -> handler(payload, ctx) -> dict."""

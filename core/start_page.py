"""``/``: a small page saying this is StoreChat and where to go from here (the
demo storefront when ``storechat demo`` runs, the health checks, the docs), and
the favicon every StoreChat page links."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, render_template_string

from core.services import services

bp = Blueprint("start_page", __name__)

#: A chat bubble on StoreChat's dark blue.
FAVICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<rect width="32" height="32" rx="7" fill="#1d4ed8"/>'
    '<path d="M8 9h16a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2h-9l-5 4v-4H8a2 2 0 0 1-2-2v-8a2 2 0 0 1 2-2z" fill="#fff"/>'
    "</svg>"
)

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>StoreChat</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>
  body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328;
         background: #fafafa; }
  main { max-width: 640px; margin: 56px auto; padding: 0 20px; }
  h1 { font-size: 28px; margin: 0 0 6px; }
  .muted { color: #6b7280; }
  .go { display: inline-block; margin: 18px 0 8px; background: #1d4ed8; color: #fff; padding: 10px 18px;
        border-radius: 8px; text-decoration: none; font-weight: 600; }
  code { background: #eef0f3; padding: 1px 5px; border-radius: 4px; font-size: 14px; }
  li { margin: 4px 0; }
</style>
</head>
<body>
<main>
  <h1>StoreChat is running</h1>
  <p class="muted">Live chat and an AI shopping assistant for online stores.</p>
  {% if demo %}
  <a class="go" href="/demo/">Open the demo storefront</a>
  <p>A sample apparel store with the chat widget embedded the way a merchant embeds it:
     ask it about a product, your order (try <code>#1001</code> with <code>bob.norman@hostmail.com</code>)
     or shipping.</p>
  {% endif %}
  <h2>Health</h2>
  <ul>
    <li><a href="/healthz">/healthz</a>: the process is alive</li>
    <li><a href="/readyz">/readyz</a>: the database, Redis and the migrations are ready</li>
  </ul>
  <h2>Docs</h2>
  <p>In the <code>docs/</code> folder of StoreChat's source: <code>operations.md</code> (running it),
     <code>widget.md</code> (the chat on a store's pages), <code>connectors.md</code> (connecting a store),
     <code>protocol.md</code> (the chat sockets).</p>
</main>
</body>
</html>
"""


@bp.get("/")
def start():  # type: ignore[no-untyped-def]
    return render_template_string(PAGE, demo=services().settings.demo)


@bp.get("/favicon.svg")
@bp.get("/favicon.ico")
def favicon():  # type: ignore[no-untyped-def]
    return Response(FAVICON_SVG, mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

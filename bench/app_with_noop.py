"""The product app plus a no-op JSON endpoint, for bench_http.py only (never the product).

    SEARCHSVC_INDEX_DIR=... gunicorn -w 2 -b 127.0.0.1:PORT --chdir bench app_with_noop:app

/noop.json goes through the same Flask app, blueprint hooks (security and
CORS headers) and gunicorn stack as /search.json but does no search: the
floor a search endpoint is compared with.
"""

from flask import jsonify

from searchsvc import create_app

app = create_app()


@app.get("/noop.json")
def noop():
    return jsonify({"ok": True, "query": "", "total": 0, "results": []})

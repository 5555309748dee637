"""
The seeds' stack, moved to ssehub: Flask + APScheduler publish with
``sse.publish(data, type='dataUpdate')``; ssehub serves the stream the page
opens (``new EventSource('/stream?channel=...')``), with history,
Last-Event-ID replay and heartbeats, without holding a Flask worker per
browser.

Run (Debian: apt-get install python3-flask python3-redis python3-apscheduler):

    npx ssehub serve --dev --flask-sse redis://127.0.0.1:6379 --cors-origin http://localhost:5000
    STREAM_URL=http://localhost:3000/stream python3 examples/flask/app.py

then open http://localhost:5000/. Behind one reverse proxy (``/stream`` to
ssehub, the rest to Flask) leave ``STREAM_URL`` at ``/stream``.
"""
import os
import random
from datetime import datetime, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask, render_template

from sse_shim import sse  # was: from flask_sse import sse

app = Flask(__name__)
app.config["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
# Was: app.register_blueprint(sse, url_prefix="/stream"). ssehub serves /stream now.

CHANNEL = os.environ.get("SSE_CHANNEL", "dashboard")
STREAM_URL = os.environ.get("STREAM_URL", "/stream")
PUBLISH_INTERVAL = float(os.environ.get("PUBLISH_INTERVAL", "3"))

state = {"count": 0}


def publish_update():
    """The scheduled job: one reading, published as a `dataUpdate` event."""
    state["count"] += 1
    with app.app_context():
        sse.publish(
            {
                "count": state["count"],
                "value": round(random.uniform(0, 100), 2),
                "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            },
            type="dataUpdate",
            channel=CHANNEL,
        )


@app.route("/")
def index():
    return render_template("index.html", stream_url=STREAM_URL, channel=CHANNEL)


if __name__ == "__main__":
    scheduler = BackgroundScheduler(daemon=True)
    scheduler.add_job(publish_update, "interval", seconds=PUBLISH_INTERVAL)
    scheduler.start()
    app.run(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "5000")),
        threaded=True,
    )

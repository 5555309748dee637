"""
A stand-in for flask-sse's publishing half: ``sse.publish()`` with the same
signature, writing the same message on the same Redis pub/sub channel, so
that an app written for flask-sse runs unchanged (only its import changes)
while ssehub serves the streams.

This is ssehub's own code, written from flask-sse 1.0.0's documented wire
format (see "Coming from flask-sse" in ssehub's README), not flask-sse: the
message is ``json.dumps`` of ``{"data": data}`` plus ``type``, ``id`` and
``retry`` when they are truthy, with the app's JSON provider (``flask.json``,
so datetimes, UUIDs and dataclasses serialize as they did), PUBLISHed on
``channel`` (default ``sse``) of the Redis at the app's ``SSE_REDIS_URL``,
else ``REDIS_URL``. With flask-sse installed, keep ``from flask_sse import
sse``: ssehub reads exactly what it publishes.
"""
from flask import current_app, json
from redis import Redis


def message_fields(data, type=None, id=None, retry=None):
    """The message as a dict: ``data``, plus each other field that is truthy."""
    fields = {"data": data}
    for name, value in (("type", type), ("id", id), ("retry", retry)):
        if value:
            fields[name] = value
    return fields


class Publisher:
    """``sse.publish()``, without a blueprint: ssehub serves ``/stream`` now."""

    def __init__(self):
        self._by_url = {}

    def _client(self):
        config = current_app.config
        url = config.get("SSE_REDIS_URL") or config.get("REDIS_URL")
        if not url:
            raise KeyError("set SSE_REDIS_URL or REDIS_URL in the app's config")
        if url not in self._by_url:
            self._by_url[url] = Redis.from_url(url)
        return self._by_url[url]

    def publish(self, data, type=None, id=None, retry=None, channel="sse"):
        """
        Publishes ``data`` as one server-sent event on ``channel``; returns
        how many subscribers got it. Call it inside an application context,
        as with flask-sse.
        """
        payload = json.dumps(message_fields(data, type=type, id=id, retry=retry))
        return self._client().publish(channel, payload)


sse = Publisher()

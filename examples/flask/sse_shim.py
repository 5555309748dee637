"""
A stand-in for flask-sse's publishing half: ``sse.publish()`` with the same
signature, writing the same message on the same Redis pub/sub channel, so
that an app written for flask-sse runs unchanged (only its import changes)
while ssehub serves the streams.

It is flask-sse 1.0.0's ``Message.to_dict()`` and
``ServerSentEventsBlueprint.publish()``, minus the blueprint (ssehub streams
``/stream?channel=...`` now): the message is ``json.dumps`` of
``{"data": data}`` plus ``type``, ``id`` and ``retry`` when they are truthy,
with the app's JSON provider (``flask.json``, so datetimes, UUIDs and
dataclasses serialize as they did). With flask-sse installed, keep
``from flask_sse import sse``: ssehub reads exactly what it publishes.

https://github.com/singingwolfboy/flask-sse/blob/main/flask_sse.py
"""
from flask import current_app, json
from redis import Redis


class Message:
    """Data that is published as a server-sent event (as in flask-sse)."""

    def __init__(self, data, type=None, id=None, retry=None):
        self.data = data
        self.type = type
        self.id = id
        self.retry = retry

    def to_dict(self):
        """A minimal dictionary: ``data``, plus the other fields when truthy."""
        d = {"data": self.data}
        if self.type:
            d["type"] = self.type
        if self.id:
            d["id"] = self.id
        if self.retry:
            d["retry"] = self.retry
        return d


class ServerSentEventsPublisher:
    """``sse.publish()`` as flask-sse's blueprint has it."""

    def __init__(self):
        self._clients = {}

    @property
    def redis(self):
        """A Redis client for the app's ``SSE_REDIS_URL`` (else ``REDIS_URL``)."""
        redis_url = current_app.config.get("SSE_REDIS_URL")
        if not redis_url:
            redis_url = current_app.config.get("REDIS_URL")
        if not redis_url:
            raise KeyError("Must set a redis connection URL in app config.")
        client = self._clients.get(redis_url)
        if client is None:
            client = self._clients[redis_url] = Redis.from_url(redis_url)
        return client

    def publish(self, data, type=None, id=None, retry=None, channel="sse"):
        """
        Publish data as a server-sent event, on ``channel`` (default ``sse``).
        Call it inside an application context, as with flask-sse.
        """
        message = Message(data, type=type, id=id, retry=retry)
        msg_json = json.dumps(message.to_dict())
        return self.redis.publish(channel=channel, message=msg_json)


sse = ServerSentEventsPublisher()

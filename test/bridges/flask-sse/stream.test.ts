/**
 * flask-sse's stream endpoint on the subscribe core, without Redis: updates
 * published on a channel's topic (as the bridge publishes them) reach
 * `GET /stream?channel=`, embedded (`serveFlaskSseStream`, the Fetch
 * variant) and on the hub server, with the hub's heartbeats, limits and
 * refusals.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import {
  channelTopic,
  serveFlaskSseStream,
  serveFlaskSseStreamFetch,
} from '../../../src/bridges/flask-sse/index.js';
import { createHub } from '../../../src/hub/index.js';
import { createJwtAuthorizer } from '../../../src/mercure/index.js';
import { SECRET, startHub, Subscriber, token, until } from '../../hub-server/helpers.js';
import { openStream, readStream } from './helpers.js';

void describe('serveFlaskSseStream (embedded)', () => {
  void it('streams a channel on node:http: the default channel, replay, topic parameters ignored', async () => {
    const hub = createHub({ heartbeatInterval: false });
    const server = createServer((req, res) => {
      void serveFlaskSseStream(hub, req, res);
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const plain = new Subscriber(`${base}/stream?topic=other`, { types: ['dataUpdate'] });
    const news = new Subscriber(`${base}/stream?channel=news`);
    try {
      await Promise.all([plain.opened, news.opened]);
      const first = await hub.publish({
        topics: channelTopic('sse'),
        data: 'one',
        type: 'dataUpdate',
      });
      await hub.publish({ topics: channelTopic('news'), data: 'news' });
      await hub.publish({ topics: 'other', data: 'not a channel' });
      await hub.publish({ topics: channelTopic('sse'), data: 'two', type: 'dataUpdate', id: 'b' });
      assert.deepEqual(
        [await plain.events.next('one'), await plain.events.next('two')].map((e) => [
          e.data,
          e.lastEventId,
        ]),
        [
          ['one', first],
          ['two', 'b'],
        ],
      );
      assert.equal((await news.events.next('news')).data, 'news');
      const resumed = await openStream(`${base}/stream`, { 'last-event-id': first });
      try {
        assert.equal(resumed.response.headers.get('last-event-id'), first);
        assert.equal((await resumed.reader.events.next('replay')).data, 'two');
      } finally {
        resumed.reader.close();
      }
    } finally {
      plain.close();
      news.close();
      server.closeAllConnections();
      server.close();
      await hub.close();
    }
  });

  void it('serves Fetch runtimes, and refuses as the authorize hook says', async () => {
    const hub = createHub({ heartbeatInterval: false });
    const authorize = createJwtAuthorizer({ jwtKey: SECRET });
    try {
      const refused = await serveFlaskSseStreamFetch(
        hub,
        new Request('http://x/stream?channel=a'),
        { authorize },
      );
      assert.equal(refused.status, 401);
      // The default protocol (both) answers with an RFC 6750 challenge for the hub.
      assert.match(await refused.text(), /^an access token is required/);
      assert.equal(
        refused.headers.get('www-authenticate'),
        'Bearer resource_metadata="http://x/.well-known/oauth-protected-resource/.well-known/mercure"',
      );
      const controller = new AbortController();
      const response = await serveFlaskSseStreamFetch(
        hub,
        new Request('http://x/stream?channel=a', {
          headers: { authorization: `Bearer ${await token({ subscribe: ['flask-sse:a'] })}` },
          signal: controller.signal,
        }),
        { authorize },
      );
      assert.equal(response.status, 200);
      const reader = readStream(response, controller);
      await hub.publish({ topics: channelTopic('a'), data: 'private', private: true });
      assert.equal((await reader.events.next('the private update')).data, 'private');
      reader.close();
    } finally {
      await hub.close();
    }
  });
});

void describe("the hub server's /stream", () => {
  void it('sends heartbeats, and answers the subscriber limit as the hub endpoint does', async () => {
    const hub = await startHub({
      anonymous: true,
      heartbeatInterval: 50,
      maxSubscribers: 1,
      flaskSse: { path: '/events/flask', topicPrefix: 'app:' },
    });
    const controller = new AbortController();
    const response = await fetch(`${hub.base}/events/flask?channel=x`, {
      signal: controller.signal,
    });
    let text = '';
    const body = response.body;
    assert.ok(body !== null);
    const decoder = new TextDecoder();
    const reading = (async () => {
      try {
        for await (const chunk of body) text += decoder.decode(chunk, { stream: true });
      } catch {
        // Aborted at the end.
      }
    })();
    try {
      await until(() => text.includes(':\n'), 'a heartbeat comment', 5000);
      const second = await fetch(`${hub.base}/events/flask?channel=y`);
      const endpoint = await fetch(`${hub.hubUrl}?topic=y`);
      assert.equal(second.status, 503);
      assert.equal(second.status, endpoint.status);
      assert.equal(await second.text(), await endpoint.text());
      assert.equal((await fetch(`${hub.base}/stream`)).status, 404, 'the default path is moved');
      await hub.hubServer.hub.publish({ topics: 'app:x', data: 'prefixed' });
      await until(() => text.includes('data: prefixed\n\n'), 'the update', 5000);
    } finally {
      controller.abort();
      await reading;
      await hub.close();
    }
  });
});

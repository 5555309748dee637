/**
 * ssehub against a Flask blueprint speaking flask-sse's wire format
 * (test/fixtures/flask-sse/flask_sse_wire.py, this project's re-expression
 * of flask-sse 1.0.0's documented format, not flask-sse itself) running in
 * Flask (Debian's python3-flask): both subscribe to one Redis channel, that
 * module's `publish()` sends a set of messages, and a reader of each stream
 * (ssehub's WHATWG parser, as a browser reads) must see the same events,
 * event for event: type, data, retry, and the id where the message set one
 * (where it did not, a flask-sse page keeps the previous id; ssehub's gets a
 * fresh one, which is what makes resuming possible).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { createClient } from 'redis';
import { createFlaskSseBridge } from '../../../src/bridges/flask-sse/index.js';
import { startHub, within } from '../../hub-server/helpers.js';
import { requirePython } from '../../helpers/python.js';
import {
  openStream,
  PUBLISHER_MODULES,
  readStream,
  REDIS_URL,
  redisPythonSkip,
  startPublisher,
  uniqueChannel,
  type PublishCommand,
} from './helpers.js';

const BLUEPRINT = fileURLToPath(
  new URL('../../fixtures/flask-sse/blueprint_app.py', import.meta.url),
);
const skip = await redisPythonSkip();

/** Starts the Flask app serving the wire-format blueprint; resolves to its base URL. */
async function startBlueprint(children: ChildProcess[]): Promise<string> {
  const child = spawn(requirePython(PUBLISHER_MODULES), [BLUEPRINT], {
    env: { ...process.env, REDIS_URL, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let stdout = '';
  const port = await within(
    new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        const match = /listening (\d+)/.exec(stdout);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      void once(child, 'exit').then(() => {
        reject(new Error(`blueprint_app.py exited: ${stderr}`));
      });
    }),
    'the Flask blueprint to listen',
    20_000,
  );
  return `http://127.0.0.1:${port}`;
}

void describe(
  "ssehub streams what a Flask blueprint speaking flask-sse's wire format streams",
  { skip, timeout: 90_000 },
  () => {
    const children: ChildProcess[] = [];
    after(() => {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    });

    void it('the same events for the same sse.publish() calls', async () => {
      const channel = uniqueChannel('diff');
      const flaskBase = await startBlueprint(children);
      const hub = await startHub({ anonymous: true, flaskSse: {} });
      const bridge = await createFlaskSseBridge({
        hub: hub.hubServer.hub,
        url: REDIS_URL,
        channels: [channel],
      });
      const publisher = startPublisher('wire');
      const admin = createClient({ url: REDIS_URL });
      await admin.connect();
      const controller = new AbortController();
      try {
        // The Flask blueprint sends its headers with the first event: start the
        // request, then wait until both it and the bridge are subscribed.
        const flaskResponse = fetch(`${flaskBase}/stream?channel=${encodeURIComponent(channel)}`, {
          signal: controller.signal,
        });
        for (let i = 0; ; i++) {
          const reply = await admin.sendCommand<[string, number]>(['PUBSUB', 'NUMSUB', channel]);
          if (reply[1] >= 2) break;
          if (i > 400) assert.fail('the Flask blueprint did not subscribe');
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        const ours = await openStream(`${hub.base}/stream?channel=${encodeURIComponent(channel)}`);

        const messages: Omit<Extract<PublishCommand, { op: 'publish' }>, 'op' | 'channel'>[] = [
          { data: '"hello"' },
          {
            data: '{"z": 1, "a": {"c": [1.0, -0.0, 1e-05, 1e22]}, "é": "\\u00e9😀"}',
            type: '"dataUpdate"',
          },
          { data: '[1, "two", null, true, 12345678901234567890]', id: '42' },
          { data: '3.14', type: '"num"', id: '"pi"', retry: '2000' },
          { data: '" leading space\\n  two spaces\\u2028ls\\u000bvt\\r\\ncrlf\\n"' },
          { data: '"\\n"' },
          { data: '""', id: '"only-id"' },
          { data: '{"nan": NaN, "inf": -Infinity}', type: '" spaced type"' },
          { data: '"x"', type: '""', id: '0', retry: '0' },
          { data: '"retry is not a number"', retry: '"soon"' },
          { data: '"id 1.5"', id: '1.5' },
          { data: '{"unicode id": true}', id: '"é-😀"' },
          { data: '"sentinel"', type: '"end"' },
        ];
        for (const fields of messages) {
          await publisher.publish({ op: 'publish', channel, ...fields });
        }
        const theirs = readStream(
          await within(flaskResponse, 'the Flask blueprint response'),
          controller,
        );
        const collect = async (reader: typeof theirs) => {
          const events = [];
          for (;;) {
            const event = await reader.events.next('the next event');
            events.push(event);
            if (event.type === 'end') return events;
          }
        };
        const [flaskEvents, ssehubEvents] = await Promise.all([
          collect(theirs),
          collect(ours.reader),
        ]);
        ours.reader.close();
        theirs.close();
        const shape = (events: typeof flaskEvents) =>
          events.map(({ type, data, retry }) => ({ type, data, retry }));
        assert.deepEqual(shape(ssehubEvents), shape(flaskEvents));
        assert.equal(flaskEvents.length, messages.length - 1, 'data "" dispatches nothing');
        // Ids: where the message set one, the same; else flask-sse repeats the
        // last one it saw while ssehub names the event.
        const withId = new Map([
          ['[1, "two", null, true, 12345678901234567890]', '42'],
          ['3.14', 'pi'],
          ['id 1.5', '1.5'],
          ['{"unicode id": true}', 'é-😀'],
        ]);
        flaskEvents.forEach((event, i) => {
          const ours = ssehubEvents[i];
          const id = withId.get(event.data);
          if (id !== undefined) {
            assert.equal(event.lastEventId, id);
            assert.equal(ours?.lastEventId, id);
          } else assert.match(ours?.lastEventId ?? '', /^urn:uuid:/);
        });
      } finally {
        controller.abort();
        await admin.close();
        await publisher.close();
        await bridge.close();
        await hub.close();
      }
    });
  },
);

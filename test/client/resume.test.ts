/**
 * Resume across a hub restart: what is published while a Node client is
 * disconnected reaches it after it reconnects, through `Last-Event-ID` and
 * the hub's history, exactly once and in order. Both ways of reading a
 * stream run side by side: `EventSource` and `connect()`.
 *
 * - memory transport: the HTTP server goes away (listener closed, every
 *   connection dropped) while the hub and its history live on in the
 *   process; updates are published on the hub meanwhile; a new server on
 *   the same port serves the same hub (`createHubServer({ hub })`);
 * - memory transport: every connection is dropped, twice, while a publisher
 *   keeps publishing;
 * - Redis transport: the hub server is closed for good (hub and transport),
 *   another hub on the same key prefix publishes meanwhile, and a new
 *   server with a new transport on that prefix takes the same port (a
 *   process restart, in one process). Skipped with one loud line when Redis
 *   is unreachable, except under `CI=true`.
 *
 * The last update before each outage has a non-ASCII id: the client sends it
 * back as UTF-8 (`Last-Event-ID`), which the hub reads as such.
 *
 * Last, where a resumption goes after a redirect: to the final URL, as the
 * spec and browsers do, except where the request may have changed on the
 * way (a POST) or extra headers would go straight to another origin.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  connect,
  EventSource,
  type EventSourceOptions,
  type SseErrorEvent,
} from '../../src/client/index.js';
import { createHub, type Hub } from '../../src/hub/index.js';
import type { Transport } from '../../src/hub/types.js';
import {
  createHubServer,
  type HubServer,
  type HubServerOptions,
} from '../../src/hub-server/index.js';
import { createRedisTransport } from '../../src/transports/redis.js';
import { SECRET, token, until, within } from '../hub-server/helpers.js';
import { sseHead, TestServer, type Handler } from './helpers.js';
import {
  connectAdmin,
  deletePrefixes,
  freshPrefix,
  REDIS_URL,
  skipReason,
} from '../transports/redis-helpers.js';

const TOPIC = 'https://example.com/orders/7';
/** The clients' reconnection time: short, so that an outage costs a few attempts. */
const RECONNECTION_TIME = 50;
/** The id of the last update before an outage: sent back as UTF-8. */
const UNICODE_ID = 'évènement-✓-🎉';

/** A hub server on 127.0.0.1 whose connections are tracked (to drop them). */
interface Running {
  readonly server: HubServer;
  readonly port: number;
  readonly hubUrl: string;
  /** Every open connection of the server (subscribers, publishers). */
  readonly sockets: Set<Socket>;
}

async function startServer(options: HubServerOptions, port = 0): Promise<Running> {
  const server = createHubServer({
    jwtKey: SECRET,
    anonymous: true,
    heartbeatInterval: false,
    metrics: false,
    webUi: false,
    shutdownTimeout: 1000,
    ...options,
  });
  const sockets = new Set<Socket>();
  server.listener.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const address: AddressInfo = await within(server.listen(port, '127.0.0.1'), 'the hub to listen');
  return {
    server,
    port: address.port,
    hubUrl: `http://127.0.0.1:${String(address.port)}/.well-known/mercure`,
    sockets,
  };
}

/**
 * Takes the server away without closing its hub: stops listening (new
 * connections are refused) and destroys every connection (the streams break
 * off, as when a process dies).
 */
async function dropServer(running: Running): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    running.server.listener.close(() => {
      resolve();
    });
  });
  for (const socket of running.sockets) socket.destroy();
  await within(closed, 'the listener to close');
}

/** What one client received and sent. */
interface Watched {
  readonly name: string;
  /** Received events: `lastEventId data`. */
  readonly received: string[];
  /** The `Last-Event-ID` of every request it made (null: none). */
  readonly sent: (string | null)[];
  readonly errors: SseErrorEvent[];
  opens: number;
  close(): void;
}

/** A `fetch` recording the `Last-Event-ID` of each request (as the server will decode it). */
function recordingFetch(sent: (string | null)[]): typeof fetch {
  return (input, init) => {
    const header = new Headers(init?.headers).get('last-event-id');
    // A header value carries bytes, one per code point up to U+00FF: read them as UTF-8.
    sent.push(header === null ? null : Buffer.from(header, 'latin1').toString('utf8'));
    return fetch(input, init);
  };
}

function watchEventSource(url: URL): Watched {
  const sent: (string | null)[] = [];
  const source = new EventSource(url, {
    reconnectionTime: RECONNECTION_TIME,
    fetch: recordingFetch(sent),
  });
  const watched: Watched = {
    name: 'EventSource',
    received: [],
    sent,
    errors: [],
    opens: 0,
    close: () => {
      source.close();
    },
  };
  source.onopen = () => {
    watched.opens++;
  };
  source.onmessage = (event) => {
    watched.received.push(`${event.lastEventId} ${event.data}`);
  };
  source.onerror = (event) => {
    watched.errors.push(event);
  };
  return watched;
}

function watchConnect(url: URL): Watched & { loop: Promise<void> } {
  const sent: (string | null)[] = [];
  const watched = {
    name: 'connect()',
    received: [] as string[],
    sent,
    errors: [] as SseErrorEvent[],
    opens: 0,
    close: () => {
      stream.close();
    },
    loop: Promise.resolve(),
  };
  const stream = connect(url, {
    reconnectionTime: RECONNECTION_TIME,
    fetch: recordingFetch(sent),
    onOpen: () => {
      watched.opens++;
    },
    onError: (event) => {
      watched.errors.push(event);
    },
  });
  watched.loop = (async () => {
    for await (const event of stream) watched.received.push(`${event.lastEventId} ${event.data}`);
  })();
  return watched;
}

/** Both kinds of client on the topic; resolves once both are open. */
async function subscribeBoth(hubUrl: string): Promise<(Watched & { loop?: Promise<void> })[]> {
  const url = new URL(hubUrl);
  url.searchParams.append('topic', TOPIC);
  const clients = [watchEventSource(url), watchConnect(url)];
  await until(() => clients.every((c) => c.opens === 1), 'both clients to open');
  return clients;
}

async function closeAll(clients: (Watched & { loop?: Promise<void> })[]): Promise<void> {
  for (const client of clients) client.close();
  const loops = clients.map((c) => c.loop ?? Promise.resolve());
  await within(Promise.all(loops), 'the connect() loop to end');
}

/** Waits until every client has received `count` events. */
function receivedAll(clients: Watched[], count: number, what: string): Promise<void> {
  return until(() => clients.every((c) => c.received.length >= count), what);
}

/**
 * Publishes over HTTP, as a Mercure publisher does; returns `id data`. On a
 * connection of its own (`Connection: close`): an idle keep-alive
 * connection would hold the server's `close()` until it times out.
 */
async function publishHttp(hubUrl: string, data: string, id?: string): Promise<string> {
  const form = new URLSearchParams({ topic: TOPIC, data });
  if (id !== undefined) form.set('id', id);
  const bearer = await token({ publish: [TOPIC] });
  const { status, text } = await within(
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        hubUrl,
        {
          method: 'POST',
          agent: false,
          headers: {
            authorization: `Bearer ${bearer}`,
            'content-type': 'application/x-www-form-urlencoded',
            connection: 'close',
          },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, text: body });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(form.toString());
    }),
    'the publish response',
  );
  assert.equal(status, 200, text);
  return `${text} ${data}`;
}

/** Publishes on a hub directly (no server in front of it); returns `id data`. */
async function publishOn(hub: Hub, data: string, id?: string): Promise<string> {
  return `${await hub.publish({ topics: TOPIC, data, id })} ${data}`;
}

/**
 * After the restart: the 5 updates published while down arrive, 3 more are
 * published on the new server, and every client ends with all 13, resumed
 * from the non-ASCII id, having opened twice.
 */
async function finishAfterRestart(
  clients: Watched[],
  hubUrl: string,
  expected: string[],
): Promise<void> {
  await receivedAll(clients, 10, 'the updates published while down');
  for (let i = 1; i <= 3; i++) expected.push(await publishHttp(hubUrl, `after ${i}`));
  await receivedAll(clients, 13, 'the updates after the restart');
  assertResumed(clients, expected, UNICODE_ID);
  for (const client of clients) assert.equal(client.opens, 2, `${client.name}: opens`);
}

/**
 * Every client received exactly `expected`, in order, each once; its first
 * request carried no `Last-Event-ID`, and every reconnection the id of the
 * last event it had received.
 */
function assertResumed(clients: Watched[], expected: string[], resumedFrom: string): void {
  assert.equal(new Set(expected).size, expected.length, 'distinct updates');
  for (const client of clients) {
    assert.deepEqual(client.received, expected, `${client.name}: all, once, in order`);
    assert.equal(client.sent[0], null, `${client.name}: the first request resumes nothing`);
    assert.ok(client.sent.length >= 2, `${client.name}: it reconnected`);
    assert.ok(
      client.sent.slice(1).includes(resumedFrom),
      `${client.name}: resumed from ${resumedFrom}: ${JSON.stringify(client.sent)}`,
    );
    assert.ok(client.errors.length >= 1, `${client.name}: the outage was reported`);
    assert.ok(
      client.errors.every((e) => e.reconnectDelay === RECONNECTION_TIME),
      `${client.name}: it never gave up`,
    );
  }
}

void describe('resume across a hub restart (memory transport, the hub lives on)', () => {
  void it('a new server on the same port, same hub: the updates published while it was down arrive after the reconnection', async () => {
    const hub = createHub();
    let running = await startServer({ hub });
    const { port } = running;
    const clients = await subscribeBoth(running.hubUrl);
    try {
      const expected: string[] = [];
      for (let i = 1; i <= 4; i++) expected.push(await publishHttp(running.hubUrl, `before ${i}`));
      expected.push(await publishHttp(running.hubUrl, 'before 5', UNICODE_ID));
      await receivedAll(clients, 5, 'the updates before the outage');

      await dropServer(running);
      await until(() => hub.subscriberCount === 0, 'the hub to see its subscribers gone');
      // The clients keep trying (and are refused) while the server is down.
      await until(
        () => clients.every((c) => c.sent.length >= 3),
        'reconnection attempts during the outage',
      );
      for (let i = 1; i <= 5; i++) expected.push(await publishOn(hub, `while down ${i}`));
      assert.ok(
        clients.every((c) => c.received.length === 5),
        'nothing arrived while down',
      );

      running = await startServer({ hub }, port);
      await finishAfterRestart(clients, running.hubUrl, expected);
    } finally {
      await closeAll(clients);
      await running.server.close();
    }
  });

  void it('every connection dropped twice while publishing goes on: each update arrives once, in order', async () => {
    const running = await startServer({});
    const hub = running.server.hub;
    const clients = await subscribeBoth(running.hubUrl);
    const expected: string[] = [];
    const TOTAL = 300;
    let published = 0;
    const publishing = (async () => {
      for (let i = 1; i <= TOTAL; i++) {
        expected.push(await publishOn(hub, `update ${i}`));
        published = i;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    try {
      for (let drop = 1; drop <= 2; drop++) {
        await until(
          () => clients.every((c) => c.opens === drop && c.received.length >= 30 * drop),
          `the clients to be open and receiving before drop ${String(drop)}`,
        );
        for (const socket of running.sockets) socket.destroy();
      }
      const publishedAtLastDrop = published;
      await within(publishing, 'the publisher to finish', 15_000);
      await receivedAll(clients, TOTAL, 'every update');
      assert.ok(publishedAtLastDrop < TOTAL, 'the publisher was still publishing at the drops');
      const ids = new Set(expected.map((line) => line.split(' ')[0]));
      for (const client of clients) {
        assert.deepEqual(client.received, expected, `${client.name}: all, once, in order`);
        assert.equal(client.opens, 3, `${client.name}: opened three times`);
        assert.deepEqual(client.sent.length, 3, `${client.name}: three requests`);
        assert.equal(client.sent[0], null);
        // Each reconnection resumed from an update it had received.
        for (const id of client.sent.slice(1)) assert.ok(id !== null && ids.has(id), String(id));
      }
    } finally {
      await publishing.catch(() => undefined);
      await closeAll(clients);
      await running.server.close();
    }
  });
});

void describe('resume after a redirect: where the reconnection goes', () => {
  let first: TestServer;
  let other: TestServer;
  before(async () => {
    first = await TestServer.start(() => undefined);
    other = await TestServer.start(() => undefined, 'localhost');
  });
  after(async () => {
    await first.close();
    await other.close();
  });

  /**
   * `/start` redirects (307) to `finalUrl`; `/final` sends one event and
   * ends the first time, then answers 204 (the client stops). Runs a client
   * until it is CLOSED; returns what each server saw: `METHOD path
   * last-event-id authorization`.
   */
  async function resumeThrough(
    finalUrl: string,
    options: EventSourceOptions = {},
  ): Promise<{ first: string[]; other: string[] }> {
    const handler: Handler = (req, res) => {
      if (req.url === '/start') {
        res.writeHead(307, { location: finalUrl }).end();
        return;
      }
      const server = req.socket.localPort === first.port ? first : other;
      if (server.requests.filter((r) => r.url === '/final').length === 1) {
        sseHead(res);
        res.end(`id: ${UNICODE_ID}\ndata: once\n\n`);
      } else {
        res.writeHead(204).end();
      }
    };
    first.reset(handler);
    other.reset(handler);
    const source = new EventSource(first.url('/start'), { reconnectionTime: 10, ...options });
    try {
      await within(
        new Promise<void>((resolve) => {
          source.addEventListener('error', () => {
            if (source.readyState === EventSource.CLOSED) resolve();
          });
        }),
        'the client to stop',
      );
    } finally {
      source.close();
    }
    const seen = (server: TestServer): string[] =>
      server.requests.map((r) => {
        const id = r.headers['last-event-id'] as string | undefined;
        const decoded = id === undefined ? '-' : Buffer.from(id, 'latin1').toString('utf8');
        return `${r.method} ${r.url} ${decoded} ${r.headers.authorization ?? '-'}`;
      });
    return { first: seen(first), other: seen(other) };
  }

  void it('[spec] the reconnection goes to the final URL, with Last-Event-ID (whatwg/html#503)', async () => {
    const seen = await resumeThrough(other.url('/final', 'localhost'));
    assert.deepEqual(seen, {
      first: ['GET /start - -'],
      other: ['GET /final - -', `GET /final ${UNICODE_ID} -`],
    });
  });

  void it('with extra headers, the same within the origin', async () => {
    const seen = await resumeThrough(first.url('/final'), {
      headers: { authorization: 'Bearer t' },
    });
    assert.deepEqual(seen.first, [
      'GET /start - Bearer t',
      'GET /final - Bearer t',
      `GET /final ${UNICODE_ID} Bearer t`,
    ]);
  });

  void it('with extra headers, redirected to another origin: back to the first URL, so the headers never go straight there', async () => {
    const seen = await resumeThrough(other.url('/final', 'localhost'), {
      headers: { authorization: 'Bearer t' },
    });
    assert.deepEqual(seen, {
      first: ['GET /start - Bearer t', `GET /start ${UNICODE_ID} Bearer t`],
      // fetch drops Authorization on a cross-origin redirect.
      other: ['GET /final - -', `GET /final ${UNICODE_ID} -`],
    });
  });

  void it('a POST: back to the first URL (a redirect may have turned it into a GET)', async () => {
    const seen = await resumeThrough(first.url('/final'), { method: 'POST', body: 'q=1' });
    assert.deepEqual(seen.first, [
      'POST /start - -',
      'POST /final - -',
      `POST /start ${UNICODE_ID} -`,
      `POST /final ${UNICODE_ID} -`,
    ]);
  });
});

const admin = await connectAdmin();

void describe(
  'resume across a hub restart (Redis transport)',
  { skip: skipReason(admin.reason) },
  () => {
    const prefixes: string[] = [];
    after(async () => {
      if (admin.client !== undefined) {
        await deletePrefixes(admin.client, prefixes);
        await admin.client.close();
      }
    });

    void it('the server closed for good, another hub publishes meanwhile, a new server and transport on the same port: all arrive once, in order', async () => {
      const keyPrefix = freshPrefix();
      prefixes.push(keyPrefix);
      const transport = (): Promise<Transport> =>
        createRedisTransport({ url: REDIS_URL, keyPrefix, connectTimeoutMs: 2000 });

      let running = await startServer({ transport: await transport() });
      const { port } = running;
      const clients = await subscribeBoth(running.hubUrl);
      let other: Hub | undefined;
      try {
        const expected: string[] = [];
        for (let i = 1; i <= 4; i++)
          expected.push(await publishHttp(running.hubUrl, `before ${i}`));
        expected.push(await publishHttp(running.hubUrl, 'before 5', UNICODE_ID));
        await receivedAll(clients, 5, 'the updates before the restart');

        // The process goes away: hub, transport and server closed.
        await within(running.server.close(), 'the hub server to close');
        await until(
          () => clients.every((c) => c.sent.length >= 3),
          'reconnection attempts during the outage',
        );
        // Another hub process on the same prefix keeps publishing.
        other = createHub({ transport: await transport() });
        for (let i = 1; i <= 5; i++) expected.push(await publishOn(other, `elsewhere ${i}`));
        await other.close();
        assert.ok(
          clients.every((c) => c.received.length === 5),
          'nothing arrived while down',
        );

        // The process starts again: new transport, new hub, same port.
        running = await startServer({ transport: await transport() }, port);
        await finishAfterRestart(clients, running.hubUrl, expected);
      } finally {
        await closeAll(clients);
        await other?.close();
        await running.server.close();
      }
    });
  },
);

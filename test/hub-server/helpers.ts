/**
 * Helpers for the hub server suites: a real server on port 0, real clients
 * (`eventsource` v4, fetch), token minting, bounded waits.
 */
import { generateKeyPairSync } from 'node:crypto';
import { EventSource, type ErrorEvent } from 'eventsource';
import {
  createHubServer,
  signToken,
  type HubServer,
  type HubServerOptions,
} from '../../src/hub-server/index.js';
import type { SignTokenOptions } from '../../src/hub-server/index.js';
import { Queue, within } from '../response/helpers.js';

export { Queue, within };

export const SECRET = 'a-test-secret-that-is-long-enough-for-hs256!';
export const OTHER_SECRET = 'another-secret-that-is-long-enough-for-hs256';

/** Key pairs in PEM, made once per process. */
export const RSA = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
export const EC = generateKeyPairSync('ec', {
  namedCurve: 'P-256',
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

/** A running hub server and its URLs. */
export interface TestHub {
  readonly hubServer: HubServer;
  readonly base: string;
  readonly hubUrl: string;
  close(): Promise<void>;
}

/** Starts a hub server on 127.0.0.1, port 0. Defaults: HS256 with {@link SECRET}. */
export async function startHub(options: HubServerOptions = {}): Promise<TestHub> {
  const hubServer = createHubServer({ jwtKey: SECRET, heartbeatInterval: false, ...options });
  const address = await hubServer.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${address.port}`;
  return {
    hubServer,
    base,
    hubUrl: `${base}/.well-known/mercure`,
    close: () => within(hubServer.close(), 'the hub server to close'),
  };
}

/** Signs an HS256 token with {@link SECRET} unless told otherwise. */
export function token(options: Partial<SignTokenOptions> = {}): Promise<string> {
  return signToken({ key: SECRET, ...options });
}

/** A publisher token allowed to publish anywhere. */
export function publisherToken(): Promise<string> {
  return token({ publish: ['*'] });
}

/** Builds an unsigned token (`alg: none`), as an attacker would. */
export function unsignedToken(payload: Record<string, unknown>): string {
  const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
}

/** Publishes as a Mercure publisher does: form POST with a Bearer token. */
export async function publish(
  hubUrl: string,
  fields: Record<string, string | string[]> | URLSearchParams,
  bearer?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  let body: URLSearchParams;
  if (fields instanceof URLSearchParams) body = fields;
  else {
    body = new URLSearchParams();
    for (const [name, value] of Object.entries(fields)) {
      for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
    }
  }
  const response = await within(
    fetch(hubUrl, {
      method: 'POST',
      headers: {
        ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
        ...headers,
      },
      body,
    }),
    'the publish response',
  );
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** A received event, as EventSource gives it. */
export interface Received {
  type: string;
  data: string;
  lastEventId: string;
}

/** An EventSource subscriber whose events and errors land in queues. */
export class Subscriber {
  readonly source: EventSource;
  readonly events = new Queue<Received>();
  readonly errors = new Queue<ErrorEvent>();
  readonly opened: Promise<void>;
  readonly all: Received[] = [];

  constructor(
    url: string | URL,
    options: { bearer?: string; headers?: Record<string, string>; types?: string[] } = {},
  ) {
    const extra: Record<string, string> = { ...options.headers };
    if (options.bearer !== undefined) extra.authorization = `Bearer ${options.bearer}`;
    this.source = new EventSource(url, {
      fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...extra } }),
    });
    const onEvent = (event: MessageEvent<string>): void => {
      const received = { type: event.type, data: event.data, lastEventId: event.lastEventId };
      this.all.push(received);
      this.events.push(received);
    };
    this.source.addEventListener('message', onEvent);
    for (const type of options.types ?? []) this.source.addEventListener(type, onEvent);
    this.source.addEventListener('error', (event) => {
      this.errors.push(event);
    });
    this.opened = within(
      new Promise<void>((resolve, reject) => {
        this.source.addEventListener('open', () => {
          resolve();
        });
        this.source.addEventListener('error', (event) => {
          reject(new Error(`EventSource error ${String(event.code)}: ${String(event.message)}`));
        });
      }),
      'the EventSource to open',
    );
    // Tests that expect a refusal never await `opened`.
    this.opened.catch(() => undefined);
  }

  close(): void {
    this.source.close();
  }
}

/** The subscribe URL for `topics` (repeated `topic` parameters) plus extra parameters. */
export function subscribeUrl(
  hubUrl: string,
  topics: string[],
  extra: Record<string, string> = {},
): URL {
  const url = new URL(hubUrl);
  for (const topic of topics) url.searchParams.append('topic', topic);
  for (const [name, value] of Object.entries(extra)) url.searchParams.set(name, value);
  return url;
}

/** Waits for `predicate` to hold, checking every 10 ms, bounded. */
export async function until(predicate: () => boolean, what: string, ms = 5000): Promise<void> {
  let stopped = false;
  try {
    await within(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (predicate()) resolve();
          else if (!stopped) setTimeout(check, 10);
        };
        check();
      }),
      what,
      ms,
    );
  } finally {
    stopped = true;
  }
}

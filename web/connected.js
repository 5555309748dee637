// "Connected now": who is subscribed to what, from the hub's active
// subscriptions (ssehub serve --subscriptions, on with --dev).
//
// 0. The hub's protected resource metadata says whether it has them
//    (`mercure_subscriptions: true`).
// 1. GET /.well-known/mercure/subscriptions (the list) with the subscriber
//    token; the Link header's last-event-id is the cursor: the id of the last
//    event when the list was read.
// 2. An EventSource on the subscription events (`type` mercure, private)
//    from that cursor: every join and leave after the list, none missed.
//    Applying one twice changes nothing (a join sets, a leave deletes).
// 3. When the stream drops, start over from 1 (the cursor may have left the
//    history meanwhile).
//
// Documents (see the README, "Who is connected"):
//   { id, type: "subscription", match_type, match, subscriber, active, payload? }

import { clock, el, trim } from './dom.js';

const MAX_CHANGES = 12;
const RETRY_MS = 2000;

/** The cursor of a subscription API answer (Link: …; last-event-id="…"). */
function cursorOf(response) {
  const found = /last-event-id="((?:[^"\\]|\\.)*)"/.exec(response.headers.get('link') ?? '');
  return found ? found[1].replace(/\\(.)/g, '$1') : undefined;
}

/** The last characters of a urn:uuid, enough to tell subscribers apart. */
const shortId = (subscriber) => subscriber.replace(/^urn:uuid:/, '').slice(-8);

export function createConnected({ list, count, changes, status, hub }) {
  /** Subscription id → document. */
  const subscriptions = new Map();
  let token;
  let source;
  let retry;

  function say(text, state) {
    status.textContent = text;
    status.dataset.state = state;
  }

  function render() {
    const bySubscriber = new Map();
    for (const doc of subscriptions.values()) {
      const docs = bySubscriber.get(doc.subscriber) ?? [];
      docs.push(doc);
      bySubscriber.set(doc.subscriber, docs);
    }
    count.textContent = `${bySubscriber.size} connected · ${subscriptions.size} subscription${subscriptions.size === 1 ? '' : 's'}`;
    const rows = [];
    for (const [subscriber, docs] of [...bySubscriber].sort(([a], [b]) => a.localeCompare(b))) {
      const row = el('li', 'who');
      row.dataset.subscriber = subscriber;
      const name = el('code', 'who-id', shortId(subscriber));
      name.title = subscriber;
      const topics = el('ul', 'who-topics');
      for (const doc of docs.sort((a, b) => a.match.localeCompare(b.match))) {
        const item = el('li', 'who-topic');
        item.append(el('span', 'who-type', doc.match_type), el('span', 'who-match', doc.match));
        if (doc.payload !== undefined) {
          item.append(el('span', 'who-payload', JSON.stringify(doc.payload)));
        }
        topics.append(item);
      }
      row.append(name, topics);
      rows.push(row);
    }
    list.replaceChildren(...rows);
  }

  function logChange(doc) {
    const item = el('li', 'change');
    item.dataset.active = String(doc.active);
    item.append(
      el('time', 'change-time', clock()),
      el('span', 'change-sign', doc.active ? '+' : '−'),
      el('code', 'who-id', shortId(doc.subscriber)),
      el('span', 'change-match', doc.match),
    );
    changes.prepend(item);
    trim(changes, MAX_CHANGES);
  }

  function apply(doc, log) {
    if (!doc || doc.type !== 'subscription' || typeof doc.id !== 'string') return;
    if (doc.active) subscriptions.set(doc.id, doc);
    else subscriptions.delete(doc.id);
    if (log) logChange(doc);
  }

  function again() {
    source?.close();
    source = undefined;
    clearTimeout(retry);
    retry = setTimeout(start, RETRY_MS);
  }

  /** Does the hub say it has active subscriptions (its protected resource metadata)? */
  async function enabled() {
    try {
      const metadata = new URL(`/.well-known/oauth-protected-resource${hub.pathname}`, hub);
      const response = await fetch(metadata, { cache: 'no-store' });
      return response.ok && (await response.json()).mercure_subscriptions === true;
    } catch {
      return false;
    }
  }

  async function start() {
    if (!(await enabled())) {
      say('active subscriptions are off: start the hub with --subscriptions', 'off');
      return;
    }
    let response;
    try {
      response = await fetch(new URL(`${hub.pathname}/subscriptions`, hub), {
        headers: token ? { authorization: `Bearer ${token}` } : {},
        cache: 'no-store',
      });
    } catch {
      say('hub unreachable: retrying…', 'error');
      again();
      return;
    }
    if (response.status === 404) {
      say('active subscriptions are off: start the hub with --subscriptions', 'off');
      return;
    }
    if (response.status === 401 || response.status === 403) {
      say('needs a token allowed to subscribe to /.well-known/mercure/subscriptions…', 'off');
      return;
    }
    if (!response.ok) {
      say(`the hub answered ${response.status}: retrying…`, 'error');
      again();
      return;
    }
    const body = await response.json();
    subscriptions.clear();
    for (const doc of body.subscriptions ?? []) apply(doc, false);
    render();
    const url = new URL(hub);
    url.searchParams.append('topic', `${hub.pathname}/subscriptions/{+rest}`);
    if (token) url.searchParams.set('authorization', token);
    const cursor = cursorOf(response);
    if (cursor) url.searchParams.set('lastEventID', cursor);
    source = new EventSource(url);
    source.addEventListener('open', () => say('live', 'open'));
    source.addEventListener('mercure', (event) => {
      try {
        apply(JSON.parse(event.data), true);
      } catch {
        return;
      }
      render();
    });
    source.addEventListener('error', () => {
      say('reconnecting…', 'error');
      again();
    });
  }

  return {
    /** Starts with the subscriber token (dev mode), or none. */
    start(value) {
      token = value;
      say('loading…', 'connecting');
      void start();
    },
  };
}

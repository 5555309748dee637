// The ssehub dashboard. One EventSource carries everything the page shows
// (prices, monitor, notifications: one `topic` parameter each), so the
// browser's six connections per origin on HTTP/1.1 are never a limit; the
// debug console adds a second one only while it is subscribed, and the
// "Connected now" panel one for the hub's subscription events. No
// framework, no CDN: uPlot comes from the hub. Every value from the network
// is written with textContent.
//
// Topics (see src/demo/topics.ts):
//   https://ssehub.dev/demo/prices/{symbol}   type `price`    JSON { symbol, price, open, time }
//   https://ssehub.dev/demo/monitor           type `monitor`  JSON vitals
//   https://ssehub.dev/demo/notifications     type `info` | `warning` | `alert`, text

import { $, parseJson } from './dom.js';
import { openStream, subscribeUrl } from './connection.js';
import { createPrices } from './prices.js';
import { createMonitor } from './monitor.js';
import { createNotifications, NOTIFICATION_TYPES } from './notifications.js';
import { createConsole } from './console.js';
import { createConnected } from './connected.js';

const HUB = new URL('.well-known/mercure', document.baseURI);
const DEMO = 'https://ssehub.dev/demo/';
const NOTIFICATIONS_TOPIC = `${DEMO}notifications`;
const SELECTORS = [`${DEMO}prices/{symbol}`, `${DEMO}monitor`, NOTIFICATIONS_TOPIC];

const prices = createPrices($('prices'), $('prices-empty'));
const monitor = createMonitor($('vitals'), $('monitor-empty'), $('uptime'));
const notifications = createNotifications({
  feed: $('feed'),
  empty: $('feed-empty'),
  form: $('notify-form'),
  type: $('notify-type'),
  message: $('notify-message'),
  result: $('notify-result'),
  hub: HUB,
  topic: NOTIFICATIONS_TOPIC,
});
const debugConsole = createConsole({ hub: HUB });
const connected = createConnected({
  list: $('connected-list'),
  count: $('connected-count'),
  changes: $('connected-changes'),
  status: $('connected-status'),
  hub: HUB,
});

const STATE_TEXT = {
  connecting: 'connecting…',
  open: 'open',
  reconnecting: 'reconnecting…',
  closed: 'refused by the hub',
};

function showState({ state, resumedAfter, historyLost }) {
  const conn = $('conn');
  const detail = $('conn-detail');
  conn.dataset.state = state;
  $('conn-text').textContent = STATE_TEXT[state];
  if (state === 'reconnecting') prices.markDrop();
  if (state === 'open' && historyLost) {
    // The hub answered `earliest`: it no longer had the id EventSource
    // resent (restarted on the memory transport, or the drop outlasted its
    // history), so it replayed nothing (src/hub/replay.ts) and the page is
    // live from now on. The charts show a gap, not a cliff between the old
    // prices and the new.
    detail.textContent = 'history lost: updates published meanwhile are missing';
    detail.title = `the hub no longer had ${resumedAfter}, the last update this page saw, and replayed nothing`;
    prices.breakLines();
  } else if (state === 'open' && resumedAfter !== undefined) {
    prices.resumed();
    // EventSource resent this id as Last-Event-ID; the hub replayed what
    // came after it before going live. With no id yet, the request still
    // asks for `lastEventID=earliest`: everything published meanwhile.
    detail.textContent = resumedAfter
      ? `resumed after ${resumedAfter}`
      : 'resumed from the start of the history (no event had arrived)';
    detail.title = detail.textContent;
  } else if (state === 'closed') {
    detail.textContent = 'it does not retry: reload the page (the hub log says why)';
  } else if (state !== 'open') {
    detail.textContent = '';
  }
}

function onEvent(event) {
  if (event.type === 'price') prices.onTick(parseJson(event.data));
  else if (event.type === 'monitor') monitor.onSample(parseJson(event.data));
  else notifications.onNotification(event);
}

/** Tokens the hub serves in development mode only (404 otherwise). */
async function loadDevTokens() {
  try {
    const response = await fetch('dev-tokens.json', { cache: 'no-store' });
    if (response.ok) return await response.json();
  } catch {
    // Not in development mode.
  }
  return undefined;
}

const tokens = await loadDevTokens();
notifications.setToken(tokens?.publisherToken);
debugConsole.setTokens(tokens);
$('token-hint').hidden = tokens?.publisherToken !== undefined;
// Its own connection (a list, then the events after it): see connected.js.
connected.start(tokens?.subscriberToken);

// `lastEventID=earliest`: the first connection replays the hub's history so
// the charts start filled. On reconnection EventSource sends the
// Last-Event-ID header, which wins over the parameter: only what was missed
// is replayed.
const url = subscribeUrl(HUB, SELECTORS, {
  authorization: tokens?.subscriberToken,
  lastEventID: 'earliest',
});
openStream({
  url,
  types: ['price', 'monitor', ...NOTIFICATION_TYPES, 'message'],
  onEvent,
  onState: showState,
});

// One EventSource and its visible state: connecting, open, reconnecting,
// closed. EventSource reconnects by itself and resends the id of the last
// event it received (Last-Event-ID header), so the hub replays what was
// missed; the page reports that id when the connection comes back, and
// whether the hub still had it (a restarted hub on the memory transport, or
// a drop longer than the history, answers `earliest`: updates were lost).

/** How long the page waits for the hub's answer to its resume question. */
const RESUME_PROBE_MS = 5000;

/**
 * The hub's answer to a resumption from `lastEventId` on `url`: its
 * `Mercure-Last-Event-ID` (1.0) or `Last-Event-ID` response header, the id
 * it resumed from or `earliest` when that id is no longer in its history;
 * undefined when it cannot tell. EventSource does not expose its response
 * headers, so the same request is made once more with fetch, and closed as
 * soon as its head has arrived (what it replays is not read).
 */
async function resumeAnswer(url, lastEventId) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), RESUME_PROBE_MS);
  try {
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream', 'last-event-id': lastEventId },
      cache: 'no-store',
      signal: controller.signal,
    });
    const { headers } = response;
    return headers.get('mercure-last-event-id') ?? headers.get('last-event-id') ?? undefined;
  } catch {
    return undefined; // refused, timed out, or an id fetch cannot send as a header
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/**
 * Opens an EventSource on `url` and reports its events and state.
 *
 * - `types`: the event types to listen for (EventSource reports no other);
 * - `onEvent(event)`: each MessageEvent, in order;
 * - `onState({ state, resumedAfter, historyLost })`: `state` is
 *   `connecting`, `open`, `reconnecting` or `closed` (the hub refused:
 *   EventSource does not retry); on an `open` that follows a drop,
 *   `resumedAfter` is the last event id received before it ('' when none had
 *   an id), and `historyLost` is true when the hub answered `earliest` (it no
 *   longer had that id: what was published meanwhile is lost). That `open`
 *   is reported once the hub's answer is known (at most RESUME_PROBE_MS).
 */
export function openStream({ url, types, onEvent, onState }) {
  const source = new EventSource(url);
  let lastEventId = '';
  let opened = false;
  let dropped = false;
  onState({ state: 'connecting' });
  let opens = 0;
  source.addEventListener('open', () => {
    const resumed = opened && dropped;
    const open = ++opens;
    opened = true;
    dropped = false;
    if (!resumed) {
      onState({ state: 'open' });
      return;
    }
    const resumedAfter = lastEventId;
    if (resumedAfter === '') {
      onState({ state: 'open', resumedAfter });
      return;
    }
    void resumeAnswer(url, resumedAfter).then((answer) => {
      // Still the same connection (not dropped or closed meanwhile)?
      if (open !== opens || dropped || source.readyState !== EventSource.OPEN) return;
      onState({ state: 'open', resumedAfter, historyLost: answer === 'earliest' });
    });
  });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) {
      onState({ state: 'closed' });
      return;
    }
    dropped = true;
    onState({ state: opened ? 'reconnecting' : 'connecting' });
  });
  const handle = (event) => {
    if (event.lastEventId) lastEventId = event.lastEventId;
    onEvent(event);
  };
  for (const type of new Set(types)) source.addEventListener(type, handle);
  return {
    close() {
      source.close();
    },
    get lastEventId() {
      return lastEventId;
    },
  };
}

/** The hub's subscribe URL for these topic selectors and extra query parameters. */
export function subscribeUrl(hub, selectors, params = {}) {
  const url = new URL(hub);
  for (const selector of selectors) url.searchParams.append('topic', selector);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') url.searchParams.set(name, value);
  }
  return url;
}

// One EventSource and its visible state: connecting, open, reconnecting,
// closed. EventSource reconnects by itself and resends the id of the last
// event it received (Last-Event-ID header), so the hub replays what was
// missed; the page reports that id when the connection comes back.

/**
 * Opens an EventSource on `url` and reports its events and state.
 *
 * - `types`: the event types to listen for (EventSource reports no other);
 * - `onEvent(event)`: each MessageEvent, in order;
 * - `onState({ state, resumedAfter })`: `state` is `connecting`, `open`,
 *   `reconnecting` or `closed` (the hub refused: EventSource does not retry);
 *   on an `open` that follows a drop, `resumedAfter` is the last event id
 *   received before it ('' when none had an id).
 */
export function openStream({ url, types, onEvent, onState }) {
  const source = new EventSource(url);
  let lastEventId = '';
  let opened = false;
  let dropped = false;
  onState({ state: 'connecting' });
  source.addEventListener('open', () => {
    const resumed = opened && dropped;
    opened = true;
    dropped = false;
    onState(resumed ? { state: 'open', resumedAfter: lastEventId } : { state: 'open' });
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

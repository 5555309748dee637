// Debug console: subscribe to any topic selectors on a second EventSource
// (open only while subscribed: Stop closes it), see each raw event with its
// type, id and arrival time, and publish any update.

import { $, clock, el, trim } from './dom.js';
import { openStream, subscribeUrl } from './connection.js';
import { publish, showResult } from './publish.js';

const MAX_SHOWN = 200;
const STATES = {
  idle: 'idle',
  connecting: 'connecting…',
  open: 'subscribed',
  reconnecting: 'reconnecting…',
  closed: 'refused by the hub (see its log)',
};

const lines = (text) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');

export function createConsole({ hub }) {
  const log = $('console-log');
  const state = $('console-state');
  const stop = $('console-stop');
  let stream;
  let tokens = {};

  function setState(name, detail) {
    state.dataset.state = name;
    state.textContent = detail ? `${STATES[name]} · ${detail}` : STATES[name];
  }

  function show(event) {
    const item = el('li');
    item.dataset.type = event.type;
    item.append(
      el('span', 'time', clock()),
      el('span', 'type', event.type),
      el('span', 'id', event.lastEventId ? `id ${event.lastEventId}` : 'no id'),
      el('pre', '', event.data),
    );
    log.prepend(item);
    trim(log, MAX_SHOWN);
  }

  function close() {
    stream?.close();
    stream = undefined;
    stop.disabled = true;
    setState('idle');
  }

  $('console-form').addEventListener('submit', (event) => {
    event.preventDefault();
    close();
    const selectors = lines($('console-topics').value);
    const types = $('console-types')
      .value.split(/[\s,]+/)
      .filter((type) => type !== '');
    const url = subscribeUrl(hub, selectors.length > 0 ? selectors : ['*'], {
      authorization: tokens.subscriberToken,
      lastEventID: $('console-replay').checked ? 'earliest' : undefined,
    });
    stream = openStream({
      url,
      types: types.length > 0 ? types : ['message'],
      onEvent: show,
      onState: ({ state: name, resumedAfter, historyLost }) =>
        setState(
          name,
          historyLost
            ? 'history lost: updates published meanwhile are missing'
            : resumedAfter
              ? `resumed after ${resumedAfter}`
              : undefined,
        ),
    });
    stop.disabled = false;
  });
  stop.addEventListener('click', close);
  $('console-clear').addEventListener('click', () => log.replaceChildren());

  $('publish-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const result = $('publish-result');
    result.className = 'result';
    result.textContent = 'publishing…';
    showResult(
      result,
      await publish(hub, tokens.publisherToken, {
        topic: lines($('publish-topic').value),
        data: $('publish-data').value,
        type: $('publish-type').value,
        id: $('publish-id').value,
        private: $('publish-private').checked,
      }),
    );
  });

  return {
    setTokens(value) {
      tokens = value ?? {};
    },
  };
}

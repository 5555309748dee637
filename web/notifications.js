// Notifications: a feed of typed events (info, warning, alert; the SSE
// `type` field) and a form that publishes one through the hub's HTTP API.

import { clock, el, trim } from './dom.js';
import { publish, showResult } from './publish.js';

export const NOTIFICATION_TYPES = ['info', 'warning', 'alert'];
const ICONS = { info: 'i', warning: '!', alert: '!!' };
const MAX_SHOWN = 50;

export function createNotifications({ feed, empty, form, type, message, result, hub, topic }) {
  /** The publisher token; without it the form explains why it cannot publish. */
  let token;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button');
    button.disabled = true;
    result.className = 'result';
    result.textContent = 'publishing…';
    const outcome = await publish(hub, token, {
      topic: [topic],
      data: message.value,
      type: type.value,
    });
    showResult(result, outcome);
    button.disabled = false;
  });

  return {
    setToken(value) {
      token = value;
    },
    /** A notification event: its type, data (the message) and id. */
    onNotification(event) {
      const kind = NOTIFICATION_TYPES.includes(event.type) ? event.type : 'info';
      const item = el('li', 'note');
      item.dataset.type = kind;
      item.dataset.id = event.lastEventId;
      item.append(
        el('span', 'note-icon', ICONS[kind]),
        el('span', 'note-type', kind),
        el('time', 'note-time', clock()),
        el('span', 'note-message', event.data),
      );
      feed.prepend(item);
      trim(feed, MAX_SHOWN);
      empty.hidden = true;
    },
  };
}

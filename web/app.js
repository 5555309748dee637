// The ssehub page: subscribe to the hub with EventSource and show updates;
// in development mode, publish with the server's dev token. No framework, no
// CDN. Every value from the network is written with textContent, never as HTML.

const HUB = new URL('.well-known/mercure', document.baseURI);
const MAX_SHOWN = 200;

const $ = (id) => document.getElementById(id);
const statusEl = $('status');
const updatesEl = $('updates');

/** Tokens the server exposes in development mode only (404 otherwise). */
let devTokens;
/** The current EventSource. */
let source;

function setStatus(text, kind) {
  statusEl.textContent = text;
  statusEl.className = kind ?? '';
}

function show(event) {
  const li = document.createElement('li');
  const meta = document.createElement('div');
  meta.className = 'meta';
  const parts = [new Date().toLocaleTimeString(), `type: ${event.type}`];
  if (event.lastEventId) parts.push(`id: ${event.lastEventId}`);
  meta.textContent = parts.join(' · ');
  const data = document.createElement('pre');
  let text = event.data;
  try {
    text = JSON.stringify(JSON.parse(event.data), null, 2);
  } catch {
    // Not JSON: show as sent.
  }
  data.textContent = text;
  li.append(meta, data);
  updatesEl.prepend(li);
  $('empty').hidden = true;
  while (updatesEl.childElementCount > MAX_SHOWN) updatesEl.lastElementChild.remove();
}

function subscribe() {
  source?.close();
  const url = new URL(HUB);
  url.searchParams.append('topic', $('topic').value.trim() || '*');
  if (devTokens?.subscriberToken) url.searchParams.set('authorization', devTokens.subscriberToken);
  setStatus('connecting…');
  source = new EventSource(url);
  source.onopen = () => setStatus('connected', 'open');
  source.onerror = () => {
    // EventSource retries by itself unless the hub refused the request.
    setStatus(
      source.readyState === EventSource.CLOSED ? 'refused (see the server log)' : 'reconnecting…',
      'error',
    );
  };
  source.onmessage = show;
  const types = $('types')
    .value.split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '' && t !== 'message');
  for (const type of types) source.addEventListener(type, show);
}

async function publish(event) {
  event.preventDefault();
  const result = $('publish-result');
  const body = new URLSearchParams();
  body.append('topic', $('publish-topic').value);
  body.append('data', $('publish-data').value);
  if ($('publish-type').value.trim() !== '') body.append('type', $('publish-type').value.trim());
  if ($('publish-private').checked) body.append('private', 'on');
  try {
    const response = await fetch(HUB, {
      method: 'POST',
      headers: { authorization: `Bearer ${devTokens.publisherToken}` },
      body,
    });
    const text = (await response.text()).trim();
    result.className = response.ok ? 'hint' : 'hint error';
    result.textContent = response.ok ? `published ${text}` : `${response.status}: ${text}`;
  } catch (error) {
    result.className = 'hint error';
    result.textContent = String(error);
  }
}

async function loadDevTokens() {
  try {
    const response = await fetch('dev-tokens.json', { cache: 'no-store' });
    if (response.ok) return await response.json();
  } catch {
    // Not in development mode.
  }
  return undefined;
}

$('subscribe-form').addEventListener('submit', (event) => {
  event.preventDefault();
  subscribe();
});
$('clear').addEventListener('click', () => {
  updatesEl.replaceChildren();
  $('empty').hidden = false;
});
$('publish-form').addEventListener('submit', publish);

devTokens = await loadDevTokens();
$('publish').hidden = devTokens?.publisherToken === undefined;
$('publish-hint').hidden = devTokens?.publisherToken !== undefined;
subscribe();

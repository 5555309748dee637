// Publishing through the hub's HTTP API, as any Mercure publisher does: a
// form-encoded POST with a Bearer token. A refusal comes back with the hub's
// own message (a text/plain line; JSON bodies are read too).

/**
 * Publishes one update. `fields`: { topic: string[], data, type, id, private }.
 * Resolves to { ok: true, id } or { ok: false, message } (never rejects).
 */
export async function publish(hub, token, fields) {
  const body = new URLSearchParams();
  for (const topic of fields.topic) body.append('topic', topic);
  body.append('data', fields.data ?? '');
  for (const name of ['type', 'id', 'retry']) {
    const value = fields[name]?.trim();
    if (value) body.append(name, value);
  }
  if (fields.private) body.append('private', 'on');
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  let response;
  try {
    response = await fetch(hub, { method: 'POST', headers, body });
  } catch (error) {
    return { ok: false, message: `network error: ${error.message}` };
  }
  const text = (await response.text()).trim();
  if (response.ok) return { ok: true, id: text };
  return {
    ok: false,
    message: `${response.status} ${response.statusText}: ${errorMessage(response, text)}`,
  };
}

/** The hub's message in an error body: plain text, or JSON with a message field. */
function errorMessage(response, text) {
  if (/json/.test(response.headers.get('content-type') ?? '')) {
    try {
      const json = JSON.parse(text);
      const message = json.message ?? json.detail ?? json.title ?? json.error;
      if (typeof message === 'string') return message;
    } catch {
      // Not JSON after all: show the text.
    }
  }
  return text || '(no message)';
}

/** Shows a publish outcome in a result element. */
export function showResult(element, result) {
  element.className = `result ${result.ok ? 'ok' : 'error'}`;
  element.textContent = result.ok ? `published ${result.id}` : result.message;
}

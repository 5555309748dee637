/**
 * Discovery: how an application tells clients where its hub is. [spec] The
 * publisher's resource responses carry a `Link` header with `rel="mercure"`
 * pointing at the hub, and may carry `rel="self"` with the topic's canonical
 * URL, which the client then subscribes to. 1.0 adds target attributes on
 * the hub link ([spec] Hub Discovery): `last-event-id` (the last event the
 * publisher dispatched when it built the resource: the client passes it as
 * `last_event_id` so nothing between the two is lost), `content-type` (of
 * the updates) and `type` (their SSE event type; never the reserved
 * `mercure`).
 *
 * @see https://github.com/dunglas/mercure/blob/main/spec/mercure.md#hub-discovery
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/spec/mercure.md#discovery
 * @see https://www.rfc-editor.org/rfc/rfc8288
 */
import { SseError } from '../protocol/sse-error.js';

/** Options of {@link mercureLinkHeader}. */
export interface MercureLinkOptions {
  /** The topic of the resource being served, advertised as `rel="self"`. @default undefined */
  self?: string | undefined;
  /** `last-event-id`: the last event dispatched when the resource was generated. @default undefined */
  lastEventId?: string | undefined;
  /** `content-type`: the media type of the updates' data. @default undefined */
  contentType?: string | undefined;
  /** `type`: the SSE event type the updates carry (not `mercure`). @default undefined */
  type?: string | undefined;
}

/**
 * An RFC 8288 §3 attribute value as a quoted-string (RFC 9110 §5.6.4): `"`
 * and `\` escaped, control characters refused (they could end the header).
 */
function quoted(name: string, value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new SseError('SSE_ERR_INVALID_OPTION', `"${name}" must not contain control characters`, {
      field: name,
    });
  }
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * Escapes a URI for use inside `<…>` in a `Link` header: characters that could
 * end the reference or the header (`>`, `<`, whitespace, controls, `"`) are
 * percent-encoded, so a topic cannot inject another link or header.
 */
function linkTarget(uri: string): string {
  return uri.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0020<>"\u007f]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

/**
 * Builds the `Link` header value advertising a hub (and optionally the
 * resource's topic).
 *
 * @example
 * res.setHeader('Link', mercureLinkHeader('https://hub.example/.well-known/mercure',
 *   { self: 'https://example.com/books/1' }));
 * // <https://hub.example/.well-known/mercure>; rel="mercure", <https://example.com/books/1>; rel="self"
 */
export function mercureLinkHeader(hubUrl: string | URL, options: MercureLinkOptions = {}): string {
  let hub = `<${linkTarget(String(hubUrl))}>; rel="mercure"`;
  if (options.lastEventId !== undefined) {
    hub += `; last-event-id=${quoted('lastEventId', options.lastEventId)}`;
  }
  if (options.contentType !== undefined) {
    hub += `; content-type=${quoted('contentType', options.contentType)}`;
  }
  if (options.type !== undefined) {
    if (options.type === 'mercure') {
      throw new SseError(
        'SSE_ERR_INVALID_OPTION',
        '"type" must not be "mercure" (reserved for the hub)',
        {
          field: 'type',
        },
      );
    }
    hub += `; type=${quoted('type', options.type)}`;
  }
  const links = [hub];
  if (options.self !== undefined) links.push(`<${linkTarget(options.self)}>; rel="self"`);
  return links.join(', ');
}

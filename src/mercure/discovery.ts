/**
 * Discovery: how an application tells clients where its hub is. [spec] The
 * publisher's resource responses carry a `Link` header with `rel="mercure"`
 * pointing at the hub, and may carry `rel="self"` with the topic's canonical
 * URL, which the client then subscribes to.
 *
 * @see https://github.com/dunglas/mercure/blob/v0.24.2/spec/mercure.md#discovery
 * @see https://www.rfc-editor.org/rfc/rfc8288
 */

/** Options of {@link mercureLinkHeader}. */
export interface MercureLinkOptions {
  /** The topic of the resource being served, advertised as `rel="self"`. @default undefined */
  self?: string | undefined;
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
  const links = [`<${linkTarget(String(hubUrl))}>; rel="mercure"`];
  if (options.self !== undefined) links.push(`<${linkTarget(options.self)}>; rel="self"`);
  return links.join(', ');
}

/**
 * [spec] EventSource constructor steps 3-4: "Let urlRecord be the result of
 * encoding-parsing a URL given url, relative to settings. If urlRecord is
 * failure, then throw a "SyntaxError" DOMException."
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#dom-eventsource
 */

/** The base URL relative URLs resolve against: the document's, else the location's, else none. */
function baseUrl(): string | undefined {
  const scope = globalThis as { document?: { baseURI?: unknown }; location?: { href?: unknown } };
  const base = scope.document?.baseURI ?? scope.location?.href;
  return typeof base === 'string' ? base : undefined;
}

/**
 * Parses the URL of an event stream (relative ones against the page's base URL).
 *
 * @throws {DOMException} `SyntaxError` when it cannot be parsed.
 */
export function parseStreamUrl(url: string | URL, constructorName: string): URL {
  try {
    return new URL(String(url), baseUrl());
  } catch {
    throw new DOMException(
      `Failed to construct '${constructorName}': the URL '${String(url)}' is invalid.`,
      'SyntaxError',
    );
  }
}

/**
 * Splitting a request target into its path and its query: the one place
 * ssehub does it, for every entry point.
 *
 * Accepts the origin form (`/path?query`), and the absolute form
 * (`http://host/path?query`, RFC 9112 §3.2.2: "A server MUST accept the
 * absolute-form in requests") as well as a full URL a Fetch `Request`
 * carries. A fragment (never sent by clients, but harmless) is dropped.
 * Never throws.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9112#section-3.2
 */

/** A request target split into its parts. */
export interface RequestTarget {
  /** The path, as received (percent-encoding kept): `/` when empty. */
  readonly path: string;
  /** The query's parameters (`application/x-www-form-urlencoded` rules). */
  readonly query: URLSearchParams;
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** Splits `target` (origin form, absolute form, or a full URL). */
export function splitTarget(target: string | undefined): RequestTarget {
  let rest = target ?? '/';
  const hash = rest.indexOf('#');
  if (hash !== -1) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  let path = q === -1 ? rest : rest.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : rest.slice(q + 1));
  const scheme = SCHEME.exec(path);
  if (scheme !== null) {
    // [RFC 9112 §3.2.2] absolute form: the path starts after the authority.
    const slash = path.indexOf('/', scheme[0].length);
    path = slash === -1 ? '/' : path.slice(slash);
  }
  return { path: path === '' ? '/' : path, query };
}

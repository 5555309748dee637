/**
 * Why `ssehub serve` could not open its port, in plain words with the flag
 * to change (the JSON log line keeps the error itself).
 */

/**
 * A sentence for an error of `server.listen`, or `undefined` when it is not
 * one a user can act on with a flag.
 */
export function listenFailure(error: unknown, host: string, port: number): string | undefined {
  const { code, address } = error as { code?: unknown; address?: unknown };
  const on = typeof address === 'string' && address !== '' ? address : host;
  switch (code) {
    case 'EADDRINUSE':
      return `port ${port} on ${on} is already in use; choose another with --port`;
    case 'EACCES':
      return `port ${port} on ${on} needs privileges this process lacks (ports below 1024 usually do); choose another with --port`;
    case 'EADDRNOTAVAIL':
      return `${on} is not an address of this machine; choose another with --host`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `--host ${host} does not resolve to an address; use an IP address or a name this machine resolves`;
    default:
      return undefined;
  }
}

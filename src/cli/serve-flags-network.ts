/**
 * The network limits of `ssehub serve` (deadlines, connection counts, who may
 * read `/metrics`): part of {@link SERVE_FLAGS}, after `--max-subscribers`.
 * docs/security.md explains each one.
 */
import type { FlagSpec } from './flags.js';

export const NETWORK_FLAGS: readonly FlagSpec[] = [
  {
    name: 'headers-timeout',
    type: 'string',
    value: '<ms>',
    default: '30000',
    description:
      'Milliseconds a connection has to send a complete request head (then 408 and close; 0: none)',
  },
  {
    name: 'request-timeout',
    type: 'string',
    value: '<ms>',
    default: '30000',
    description:
      'Milliseconds a publish request body has to arrive (then 408, nothing published; 0: none)',
  },
];

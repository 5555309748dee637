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
  {
    name: 'max-connections',
    type: 'string',
    value: '<n>',
    default: 'auto',
    description:
      "Most open connections (auto: below the process's open-file limit; 0: none); more are closed as soon as accepted, before a byte is read",
  },
  {
    name: 'max-connections-per-address',
    type: 'string',
    value: '<n>',
    default: '0 (no limit)',
    description:
      'Most open connections from one client address (behind a proxy every client has its address)',
  },
  {
    name: 'metrics-token',
    type: 'string',
    value: '<token>',
    description: '/metrics answers only requests with "Authorization: Bearer <token>"',
  },
  {
    name: 'metrics-listen',
    type: 'string',
    value: '<host:port>',
    description: 'Serve /metrics on this address only, not on the public port',
  },
];

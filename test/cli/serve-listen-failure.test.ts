/**
 * `ssehub serve` that cannot open its port says why in plain words, with the
 * flag to change, on one line of stderr, and exits 1 (the JSON log keeps the
 * error itself).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { listenFailure } from '../../src/cli/listen-failure.js';
import { cli } from './helpers.js';

void describe('ssehub serve: the port cannot be opened', () => {
  void test('port in use: one plain line naming the port and --port, exit 1', async () => {
    const holder = createServer().listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const { port } = holder.address() as AddressInfo;
    try {
      const result = await cli(['serve', '--dev', '--port', String(port), '--host', '127.0.0.1']);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(
        result.stderr,
        `ssehub serve: port ${port} on 127.0.0.1 is already in use; choose another with --port\n`,
      );
      assert.match(result.stdout, /"msg":"cannot listen"/, 'the JSON log keeps the error');
    } finally {
      holder.close();
    }
  });

  void test('an address of no interface here (TEST-NET-1): names --host, exit 1', async () => {
    const result = await cli(['serve', '--dev', '--port', '0', '--host', '192.0.2.1']);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(
      result.stderr,
      'ssehub serve: 192.0.2.1 is not an address of this machine; choose another with --host\n',
    );
  });

  void test('each listen error a flag can fix has its sentence; others have none', () => {
    const error = (code: string, address?: string): Error =>
      Object.assign(new Error(code), { code, address });
    assert.equal(
      listenFailure(error('EADDRINUSE', '::1'), 'localhost', 3000),
      'port 3000 on ::1 is already in use; choose another with --port',
    );
    assert.equal(
      listenFailure(error('EADDRINUSE'), 'localhost', 3000),
      'port 3000 on localhost is already in use; choose another with --port',
    );
    assert.match(
      listenFailure(error('EACCES', '0.0.0.0'), '0.0.0.0', 80) ?? '',
      /^port 80 on 0\.0\.0\.0 needs privileges .*; choose another with --port$/,
    );
    assert.match(
      listenFailure(error('ENOTFOUND'), 'nowhere.invalid', 3000) ?? '',
      /^--host nowhere\.invalid does not resolve to an address/,
    );
    assert.equal(listenFailure(error('EMFILE'), 'localhost', 3000), undefined);
  });
});

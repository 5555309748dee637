/**
 * [spec] Publication: a topic that addresses the hub's reserved namespace is
 * refused, whatever its scheme or authority, after dot-segment removal and
 * decoding of percent-encoded unreserved characters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressesReservedNamespace } from '../../src/mercure/publish-rules.js';

const HUB = 'https://hub.example/.well-known/mercure';

void test('topics in the reserved namespace, in every spelling', () => {
  for (const topic of [
    '/.well-known/mercure',
    '/.well-known/mercure/',
    '/.well-known/mercure/subscriptions/exact/a/b',
    'https://other.example/.well-known/mercure/x',
    'http://hub.example/.well-known/mercure',
    '/.well-known/%6Dercure/x',
    '/.well-known/%6d%65rcure',
    '/.well-known/mercure/../mercure/x',
    'https://h.example/a/../.well-known/mercure',
    '/a/%2E%2E/.well-known/mercure/x',
    '../.well-known/mercure/y',
    // A relative reference resolves against the hub's URL: `mercure` is the hub's own path.
    'mercure',
  ]) {
    assert.equal(addressesReservedNamespace(topic, HUB), true, topic);
  }
});

void test('topics outside it', () => {
  for (const topic of [
    'foo',
    '*',
    '/.well-known/mercurex',
    '/.well-known/mercure%2Fx',
    'https://hub.example/books/1',
    '/.well-known/other',
    'urn:uuid:0f3d1a2b',
    '//.well-known/mercure',
  ]) {
    assert.equal(addressesReservedNamespace(topic, HUB), false, topic);
  }
});

/**
 * Parser behaviour across streams and calls: reset() (a new stream on
 * reconnection), the last event ID string, optional callbacks. Per-line rules
 * live in ./vectors.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createParser, isSseError, type ParsedEvent } from '../../src/protocol/index.js';
import { bytes, ev, plain, utf8 } from './harness.js';

function collect(options?: { lastEventId?: string }) {
  const events: ParsedEvent[] = [];
  const parser = createParser({ onEvent: (e) => events.push(plain(e)) }, options);
  return { parser, events };
}

void describe('parser: reset() starts a new stream', () => {
  void it('[spec] drops the partial line ("any pending data must be discarded")', () => {
    const { parser, events } = collect();
    parser.feed('data: a');
    parser.reset();
    parser.feed('data: b\n\n');
    assert.deepEqual(events, [ev('b')]);
  });

  void it('[spec] drops the partial block: data, event type', () => {
    const { parser, events } = collect();
    parser.feed('event: x\ndata: a\n');
    parser.reset();
    parser.feed('data: b\n\n');
    assert.deepEqual(events, [ev('b')]);
  });

  void it('[spec] an id in a discarded block does not become the last event ID (wpt format-data-before-final-empty-line)', () => {
    const { parser, events } = collect();
    parser.feed('retry:1000\ndata:test1\n\nid:test\ndata:test2');
    assert.equal(parser.lastEventId, '');
    parser.reset();
    assert.equal(parser.lastEventId, '');
    parser.feed('retry:1000\ndata:test1\n\n');
    assert.deepEqual(events, [ev('test1'), ev('test1')]);
    assert.equal(parser.lastEventId, '');
  });

  void it('[api] keeps the last event ID string, which events without id carry on the new stream', () => {
    const { parser, events } = collect();
    parser.feed('id: 5\ndata: a\n\n');
    parser.reset();
    assert.equal(parser.lastEventId, '5');
    parser.feed('data: b\n\n');
    assert.deepEqual(events, [ev('a', { id: '5' }), ev('b', { id: '5' })]);
  });

  void it('[api] reset({ lastEventId }) replaces the last event ID string', () => {
    const { parser, events } = collect({ lastEventId: 'initial' });
    assert.equal(parser.lastEventId, 'initial');
    parser.feed('id: 5\ndata: a\n\n');
    parser.reset({ lastEventId: 'x' });
    assert.equal(parser.lastEventId, 'x');
    parser.feed('data: b\n\n');
    assert.deepEqual(events, [ev('a', { id: '5' }), ev('b', { id: 'x' })]);
  });

  void it('[api] reset({ lastEventId: "" }) clears it', () => {
    const { parser, events } = collect({ lastEventId: 'initial' });
    parser.reset({ lastEventId: '' });
    parser.feed('data: b\n\n');
    assert.deepEqual(events, [ev('b')]);
    assert.equal(parser.lastEventId, '');
  });

  void it('[spec] restarts BOM handling: each stream may begin with one BOM (strings)', () => {
    const { parser, events } = collect();
    parser.feed('\uFEFFdata: a\n\n');
    parser.reset();
    parser.feed('\uFEFFdata: b\n\n');
    assert.deepEqual(events, [ev('a'), ev('b')]);
  });

  void it('[spec] restarts BOM handling: each stream may begin with one BOM (bytes, one at a time)', () => {
    const { parser, events } = collect();
    for (const stream of ['\uFEFFdata: a\n\n', '\uFEFFdata: b\n\n']) {
      for (const byte of utf8(stream)) parser.feed(Uint8Array.of(byte));
      parser.reset();
    }
    assert.deepEqual(events, [ev('a'), ev('b')]);
  });

  void it('[spec] a BOM in a later chunk of the same stream is not stripped', () => {
    const { parser, events } = collect();
    parser.feed('data: a\n\n');
    parser.feed('\uFEFFdata: b\n\n');
    parser.feed(utf8('\uFEFFdata: c\n\n'));
    parser.feed('data: d\n\n');
    assert.deepEqual(events, [ev('a'), ev('d')]);
  });

  void it('[encoding] restarts UTF-8 decoding: a truncated sequence at the end of a stream does not leak into the next', () => {
    const { parser, events } = collect();
    parser.feed(bytes('data: a\n\n', [0xe2, 0x82]));
    parser.reset();
    parser.feed(utf8('data: b\n\n'));
    assert.deepEqual(events, [ev('a'), ev('b')]);
  });

  void it('[encoding] without reset, a truncated sequence meets the next byte and becomes U+FFFD', () => {
    const { parser, events } = collect();
    parser.feed(bytes('data: a\n\n', [0xe2, 0x82]));
    parser.feed(utf8('data: b\n\ndata: c\n\n'));
    // "\uFFFDdata" is an unknown field name, so "b" is lost and "c" arrives.
    assert.deepEqual(events, [ev('a'), ev('c')]);
  });

  void it('reset() on a fresh parser and twice in a row is harmless', () => {
    const { parser, events } = collect();
    parser.reset();
    parser.reset();
    parser.feed('data: a\n\n');
    assert.deepEqual(events, [ev('a')]);
  });
});

void describe('parser: the API', () => {
  void it('rejects a bad maxEventSize with SSE_ERR_INVALID_OPTION naming the option', () => {
    for (const maxEventSize of [0, -1, 1.5, Number.NaN, Infinity]) {
      assert.throws(
        () => createParser({ onEvent: () => undefined }, { maxEventSize }),
        (error: unknown) =>
          isSseError(error, 'SSE_ERR_INVALID_OPTION') &&
          error.field === 'maxEventSize' &&
          error.message.includes('"maxEventSize"'),
        String(maxEventSize),
      );
    }
  });

  void it('lastEventId starts as "" by default', () => {
    assert.equal(collect().parser.lastEventId, '');
  });

  void it('feeding empty chunks changes nothing', () => {
    const { parser, events } = collect();
    parser.feed('');
    parser.feed(new Uint8Array(0));
    parser.feed('data: a\n');
    parser.feed('');
    parser.feed('\n');
    assert.deepEqual(events, [ev('a')]);
  });

  void it('events are reported synchronously from feed()', () => {
    const { parser, events } = collect();
    parser.feed('data: a\n\n');
    assert.equal(events.length, 1);
  });

  void it('onRetry, onComment and onError are optional', () => {
    const { parser, events } = collect();
    parser.feed(': comment\nretry: 10\ndata: a\n\n');
    assert.deepEqual(events, [ev('a')]);
  });

  void it('[api] strings and bytes may alternate at character boundaries', () => {
    const { parser, events } = collect();
    parser.feed('data: é');
    parser.feed(utf8('€ 😀\n'));
    parser.feed('data: 𝄞');
    parser.feed(utf8('\n\n'));
    assert.deepEqual(events, [ev('é€ 😀\n𝄞')]);
  });

  void it('each dispatched event is a separate object', () => {
    const seen: ParsedEvent[] = [];
    const parser = createParser({ onEvent: (e) => seen.push(e) });
    parser.feed('data: a\n\ndata: b\n\n');
    assert.equal(seen.length, 2);
    assert.notEqual(seen[0], seen[1]);
    assert.deepEqual(seen.map(plain), [ev('a'), ev('b')]);
  });

  void it('a large event (3 MiB of data) parses whole under the default limit', () => {
    const { parser, events } = collect();
    const big = 'z'.repeat(3 * 1024 * 1024);
    parser.feed(`data: ${big.slice(0, 1000)}`);
    parser.feed(`${big.slice(1000)}\n\n`);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.data, big);
  });
});

/** Reading the client's last event ID: header first, then the query parameter. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readLastEventId } from '../../src/response/last-event-id.js';

void describe('readLastEventId', () => {
  void it('reads the header', () => {
    assert.equal(readLastEventId('42', '/sse', 'lastEventID'), '42');
    assert.equal(readLastEventId(['42', '43'], '/sse', 'lastEventID'), '42');
  });

  void it('prefers the header over the query parameter', () => {
    assert.equal(
      readLastEventId('from-header', '/sse?lastEventID=from-query', 'lastEventID'),
      'from-header',
    );
  });

  void it('falls back on the query parameter, decoded, in a path or a full URL', () => {
    assert.equal(
      readLastEventId(undefined, '/sse?topic=a&lastEventID=a%2Fb', 'lastEventID'),
      'a/b',
    );
    assert.equal(
      readLastEventId(null, 'https://hub.test/sse?lastEventID=7#frag', 'lastEventID'),
      '7',
    );
    assert.equal(readLastEventId(null, '/sse?last=9', 'last'), '9');
  });

  void it('treats empty values and a disabled parameter as no id', () => {
    assert.equal(readLastEventId('', '/sse?lastEventID=', 'lastEventID'), undefined);
    assert.equal(readLastEventId(undefined, '/sse?lastEventID=7', false), undefined);
    assert.equal(readLastEventId(undefined, '/sse', 'lastEventID'), undefined);
    assert.equal(readLastEventId(undefined, undefined, 'lastEventID'), undefined);
  });

  void it('[spec] decodes the header as UTF-8 (node hands it over as Latin-1)', () => {
    const onTheWire = Buffer.from('évé✓', 'utf8').toString('latin1');
    assert.equal(readLastEventId(onTheWire, '/', false), 'évé✓');
    // Not valid UTF-8: returned as received.
    assert.equal(readLastEventId('caf\u00e9', '/', false), 'caf\u00e9');
  });
});

/**
 * Finding 7: control and format characters. An id with `\x01` used to be
 * accepted at publish (and then made node's path answer `HTTP/1.1 500 OK` to
 * a subscriber resuming with it); [spec] Mercure 1.0 refuses C0 controls, DEL
 * and Unicode format characters in id, type and topic. Each is a 400 naming
 * the field, and nothing is published.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  publish,
  publisherToken,
  startHub,
  Subscriber,
  subscribeUrl,
  type TestHub,
} from '../hub-server/helpers.js';

const TOPIC = 'https://example.com/chars';

void describe('control and format characters in id, type and topic', () => {
  let hub: TestHub;
  let pub: string;
  let watcher: Subscriber;
  before(async () => {
    hub = await startHub({ anonymous: true });
    pub = await publisherToken();
    watcher = new Subscriber(subscribeUrl(hub.hubUrl, ['*']));
    await watcher.opened;
  });
  after(async () => {
    watcher.close();
    await hub.close();
  });

  const cases: [string, Record<string, string>, string][] = [
    ['\\x01 in id', { topic: TOPIC, id: 'a\x01b' }, 'id'],
    ['DEL in id', { topic: TOPIC, id: 'a\x7f' }, 'id'],
    ['a C1 control (NEL) in id', { topic: TOPIC, id: 'a\u0085b' }, 'id'],
    ['a right-to-left override in id', { topic: TOPIC, id: 'abc\u202Egpj.exe' }, 'id'],
    ['a zero-width space in id', { topic: TOPIC, id: 'a\u200Bb' }, 'id'],
    ['a BOM in id', { topic: TOPIC, id: '\uFEFFid' }, 'id'],
    ['\\x1b in type', { topic: TOPIC, type: 'x\x1b[31m' }, 'type'],
    ['a bidi isolate in type', { topic: TOPIC, type: 'x\u2066y' }, 'type'],
    ['\\x01 in a topic', { topic: 'https://example.com/\x01' }, 'topic'],
    ['a zero-width joiner in a topic', { topic: 'https://exa\u200Dmple.com/' }, 'topic'],
    [
      'a soft hyphen in an alternate topic',
      { topic: [TOPIC, 'ab\u00ADc'] as unknown as string },
      'topic',
    ],
  ];

  for (const [name, fields, field] of cases) {
    void it(`${name} → 400 naming "${field}"`, async () => {
      const res = await publish(hub.hubUrl, fields, pub);
      assert.equal(res.status, 400, res.text);
      assert.equal(res.text, `"${field}" must not contain control or format characters\n`);
    });
  }

  void it('nothing above was published; printable non-ASCII is fine', async () => {
    const ok = await publish(hub.hubUrl, { topic: TOPIC, id: 'café-名前-🎉' }, pub);
    assert.equal(ok.status, 200);
    const first = await watcher.events.next();
    assert.deepEqual(first, { type: 'message', data: '', lastEventId: 'café-名前-🎉' });
    assert.equal(watcher.all.length, 1);
  });
});

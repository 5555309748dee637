/**
 * Finding 9: probing private ids. An anonymous `Last-Event-ID: <id of a
 * private update>` used to be echoed back as resumed, while an unknown id got
 * `earliest`: whether a private id exists leaked. Now an id the subscriber
 * may not see is answered exactly like an unknown one (and nothing is
 * replayed), on the standalone server and through `hub.subscribe`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHub } from '../../src/hub/index.js';
import { publish, publisherToken, startHub, token, type TestHub } from '../hub-server/helpers.js';

const SECRET_TOPIC = 'https://example.com/secrets/1';

async function resume(hub: TestHub, lastEventId: string, bearer?: string) {
  const abort = new AbortController();
  const res = await fetch(`${hub.hubUrl}?topic=*`, {
    headers: {
      'last-event-id': lastEventId,
      ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
    },
    signal: abort.signal,
  });
  const header = res.headers.get('last-event-id');
  abort.abort();
  return { status: res.status, header };
}

void describe('ids of private updates cannot be probed', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startHub({ anonymous: true });
    const pub = await publisherToken();
    const res = await publish(
      hub.hubUrl,
      { topic: SECRET_TOPIC, id: 'secret-42', private: 'on' },
      pub,
    );
    assert.equal(res.status, 200);
    assert.equal(
      (await publish(hub.hubUrl, { topic: 'https://example.com/pub', id: 'public-1' }, pub)).status,
      200,
    );
  });
  after(() => hub.close());

  void it('anonymous: a private id gets the same answer as an unknown id', async () => {
    const privateId = await resume(hub, 'secret-42');
    const unknown = await resume(hub, 'no-such-id');
    assert.deepEqual(privateId, { status: 200, header: 'earliest' });
    assert.deepEqual(privateId, unknown);
  });

  void it('a public id still resumes', async () => {
    assert.deepEqual(await resume(hub, 'public-1'), { status: 200, header: 'public-1' });
  });

  void it('a subscriber authorized for the topic resumes after the private id', async () => {
    const bearer = await token({ subscribe: [SECRET_TOPIC] });
    assert.deepEqual(await resume(hub, 'secret-42', bearer), { status: 200, header: 'secret-42' });
    const other = await token({ subscribe: ['https://example.com/other'] });
    assert.deepEqual(await resume(hub, 'secret-42', other), { status: 200, header: 'earliest' });
  });

  void it('hub.subscribe answers the same way', async () => {
    const embedded = createHub();
    await embedded.publish({ topics: SECRET_TOPIC, id: 's1', private: true });
    await embedded.publish({ topics: 'https://example.com/pub', id: 'p1' });
    const anonymous = embedded.subscribe({ topics: ['*'], lastEventId: 's1' });
    assert.deepEqual(await anonymous.ready, { lastEventId: 'earliest' });
    const allowed = embedded.subscribe({
      topics: ['*'],
      lastEventId: 's1',
      claims: { subscribe: [SECRET_TOPIC] },
    });
    assert.deepEqual(await allowed.ready, { lastEventId: 's1' });
    await embedded.close();
  });
});

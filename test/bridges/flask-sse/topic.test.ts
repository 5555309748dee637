/**
 * Channels ↔ topics: the expansion of `flask-sse:{channel}`, one-to-one, and
 * matched by that template (and only by it) as a JWT selector; and the
 * channel a request asks for, read as Werkzeug reads `request.args`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  channelTopic,
  checkTopicPrefix,
  requestedChannel,
} from '../../../src/bridges/flask-sse/topic.js';
import { compileSelector } from '../../../src/hub/index.js';

void describe('flask-sse channel topics', () => {
  void it('expands flask-sse:{channel}', () => {
    assert.equal(channelTopic('sse'), 'flask-sse:sse');
    assert.equal(channelTopic('news/eu'), 'flask-sse:news%2Feu');
    assert.equal(channelTopic('café'), 'flask-sse:caf%C3%A9');
    assert.equal(channelTopic('a%2Fb'), 'flask-sse:a%252Fb');
    assert.equal(channelTopic("A-z_0.9~!*'() "), 'flask-sse:A-z_0.9~%21%2A%27%28%29%20');
    assert.equal(channelTopic('😀'), 'flask-sse:%F0%9F%98%80');
    assert.equal(
      channelTopic('\ud800'),
      'flask-sse:%EF%BF%BD',
      'a lone surrogate counts as U+FFFD',
    );
    assert.equal(channelTopic('x', 'app:'), 'app:x');
  });

  void it('is one-to-one, and the template covers every channel, exactly', () => {
    const template = compileSelector('flask-sse:{channel}');
    const one = compileSelector('flask-sse:news');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), (channel) => {
        const topic = channelTopic(channel);
        assert.equal(decodeURIComponent(topic.slice('flask-sse:'.length)), channel);
        assert.ok(template.match(topic), topic);
        assert.equal(one.match(topic), channel === 'news');
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 8 }),
        fc.string({ unit: 'grapheme', maxLength: 8 }),
        (a, b) => {
          fc.pre(a !== b);
          assert.notEqual(channelTopic(a), channelTopic(b));
        },
      ),
      { numRuns: 2000 },
    );
    // Not a topic of this form: the template does not over-match.
    for (const topic of ['flask-sse:a/b', 'flask-sse:%zz', 'other:sse', 'flask-sse:a b']) {
      assert.equal(template.match(topic), false, topic);
    }
  });

  void it('checks the prefix: no braces, so <prefix>{channel} stays a template', () => {
    assert.equal(checkTopicPrefix(undefined), 'flask-sse:');
    assert.equal(
      checkTopicPrefix('https://example.com/channels/'),
      'https://example.com/channels/',
    );
    assert.throws(() => checkTopicPrefix('a{b}'), { code: 'SSE_ERR_INVALID_OPTION' });
    assert.throws(() => checkTopicPrefix(5), { code: 'SSE_ERR_INVALID_OPTION' });
  });
});

void describe("a request's channel: request.args.get('channel') or 'sse'", () => {
  void it('reads the first channel parameter, form-decoded, "sse" when absent or empty', () => {
    assert.equal(requestedChannel('/stream'), 'sse');
    assert.equal(requestedChannel('/stream?channel='), 'sse');
    assert.equal(requestedChannel('/stream?channel=news'), 'news');
    assert.equal(requestedChannel('/stream?channel=a&channel=b'), 'a');
    assert.equal(requestedChannel('/stream?channel=a+b%2Fc'), 'a b/c');
    assert.equal(requestedChannel('/stream?channel=%zz'), '%zz');
    assert.equal(requestedChannel('/stream?channel=%C3%A9'), 'é');
    assert.equal(requestedChannel('/stream?channel=%FF'), '\ufffd');
    assert.equal(requestedChannel('http://host/stream?x=1&channel=c#frag'), 'c');
  });
});

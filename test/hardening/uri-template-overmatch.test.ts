/**
 * Topic selectors never over-match (an authorization matcher that does leaks):
 * the three reproduced leaks, through the matcher, the hub (private updates)
 * and publish authorization; then the RFC 6570 examples, both ways: the
 * RFC's variables expand to the RFC's strings, and the reverse matcher
 * accepts exactly those strings (and refuses near misses).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6570
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHub } from '../../src/hub/index.js';
import { TopicMatcher } from '../../src/hub/topic-selector.js';
import type { Update } from '../../src/hub/types.js';
import { expandUriTemplate, type UriTemplateVariables } from '../../src/hub/uri-template-expand.js';
import { compileUriTemplate, repeatedVariable } from '../../src/hub/uri-template-match.js';
import { parseUriTemplate, type UriTemplate } from '../../src/hub/uri-template-parse.js';
import type { VerifiedToken } from '../../src/mercure/authorize.js';
import { authorizePublish } from '../../src/mercure/publish.js';
import { isSseError } from '../../src/protocol/sse-error.js';
import { take } from '../hub/helpers.js';

function parse(text: string): UriTemplate {
  const parsed = parseUriTemplate(text);
  assert.ok(parsed.ok, `${text} should parse`);
  return parsed.template;
}

void describe('the reproduced leaks', () => {
  // [selector, topic, expected]
  const cases: [string, string, boolean][] = [
    // 1. The prefix modifier was ignored: {id:2} covers at most 2 characters.
    ['https://e.com/a/{id:2}', 'https://e.com/a/123', false],
    ['https://e.com/a/{id:2}', 'https://e.com/a/12', true],
    ['https://e.com/a/{id:2}', 'https://e.com/a/1', true],
    ['https://e.com/a/{id:2}', 'https://e.com/a/', true],
    ['https://e.com/a/{+id:2}', 'https://e.com/a/1/2', false],
    // 2. Query parameter names were ignored.
    ['https://e.com/a{?x}', 'https://e.com/a?y=1', false],
    ['https://e.com/a{?x}', 'https://e.com/a?x=1', true],
    ['https://e.com/a{?x}', 'https://e.com/a?x=', true],
    ['https://e.com/a{?x}', 'https://e.com/a?x', false],
    ['https://e.com/a{?x,y}', 'https://e.com/a?y=1&x=2', false],
    ['https://e.com/a{?x}{&y}', 'https://e.com/a?x=1&z=2', false],
    // 3. Path-style parameter names were ignored.
    ['https://e.com/a{;x}', 'https://e.com/a;y=1', false],
    ['https://e.com/a{;x}', 'https://e.com/a;x=1', true],
    ['https://e.com/a{;x}', 'https://e.com/a;x', true],
    // [spec] §3.2.7 ifemp is "" for ";": an empty value is ";x", never ";x=".
    ['https://e.com/a{;x}', 'https://e.com/a;x=', false],
    ['https://e.com/a{;x}', 'https://e.com/a;xy=1', false],
  ];
  const matcher = new TopicMatcher();
  for (const [selector, topic, expected] of cases) {
    void it(`${selector} ${expected ? 'matches' : 'does not match'} ${topic}`, () => {
      assert.equal(matcher.match(selector, topic), expected);
    });
  }

  void it('a private update does not reach a subscriber whose claim is {id:2} for /a/123', async () => {
    const hub = createHub();
    const sub = hub.subscribe({
      topics: ['*'],
      claims: { subscribe: ['https://e.com/a/{id:2}'] },
    });
    await hub.publish({ topics: 'https://e.com/a/123', data: 'leak', private: true });
    await hub.publish({ topics: 'https://e.com/a/12', data: 'allowed', private: true });
    const got = (await take(sub as AsyncIterator<Update>, 1)).map((u) => u.data);
    assert.deepEqual(got, ['allowed']);
    await hub.close();
  });

  void it('a publisher whose claim is {?x} may not publish to ?y=1', () => {
    const token = (publish: string[]): VerifiedToken => ({
      mercure: { publish, subscribe: undefined, payload: undefined },
      expiresAt: undefined,
      claims: {},
    });
    const forbidden = (selectors: string[], topic: string) => {
      assert.throws(
        () => {
          authorizePublish(token(selectors), [topic]);
        },
        (error) => isSseError(error) && error.code === 'SSE_ERR_FORBIDDEN',
      );
    };
    forbidden(['https://e.com/a{?x}'], 'https://e.com/a?y=1');
    forbidden(['https://e.com/a{;x}'], 'https://e.com/a;y=1');
    forbidden(['https://e.com/a/{id:2}'], 'https://e.com/a/123');
    authorizePublish(token(['https://e.com/a{?x}']), ['https://e.com/a?x=1']);
  });
});

/** [spec] §1.2 and §3.2: the example variables. */
const RFC_VARIABLES: UriTemplateVariables = {
  count: ['one', 'two', 'three'],
  dom: ['example', 'com'],
  dub: 'me/too',
  hello: 'Hello World!',
  half: '50%',
  var: 'value',
  who: 'fred',
  base: 'http://example.com/home/',
  path: '/foo/bar',
  list: ['red', 'green', 'blue'],
  keys: { semi: ';', dot: '.', comma: ',' },
  v: '6',
  x: '1024',
  y: '768',
  empty: '',
  empty_keys: {},
  undef: null,
};

/** [template, expansion] pairs from RFC 6570 §1.2 (levels 1-4) and §3.2.1-§3.2.9. */
const RFC_EXAMPLES: [string, string][] = [
  // §1.2 level 1
  ['{var}', 'value'],
  ['{hello}', 'Hello%20World%21'],
  // §1.2 level 2
  ['{+var}', 'value'],
  ['{+hello}', 'Hello%20World!'],
  ['{+path}/here', '/foo/bar/here'],
  ['here?ref={+path}', 'here?ref=/foo/bar'],
  ['X{#var}', 'X#value'],
  ['X{#hello}', 'X#Hello%20World!'],
  // §1.2 level 3
  ['map?{x,y}', 'map?1024,768'],
  ['{x,hello,y}', '1024,Hello%20World%21,768'],
  ['{+x,hello,y}', '1024,Hello%20World!,768'],
  ['{+path,x}/here', '/foo/bar,1024/here'],
  ['{#x,hello,y}', '#1024,Hello%20World!,768'],
  ['{#path,x}/here', '#/foo/bar,1024/here'],
  ['X{.var}', 'X.value'],
  ['X{.x,y}', 'X.1024.768'],
  ['{/var}', '/value'],
  ['{/var,x}/here', '/value/1024/here'],
  ['{;x,y}', ';x=1024;y=768'],
  ['{;x,y,empty}', ';x=1024;y=768;empty'],
  ['{?x,y}', '?x=1024&y=768'],
  ['{?x,y,empty}', '?x=1024&y=768&empty='],
  ['?fixed=yes{&x}', '?fixed=yes&x=1024'],
  ['{&x,y,empty}', '&x=1024&y=768&empty='],
  // §1.2 level 4
  ['{var:3}', 'val'],
  ['{var:30}', 'value'],
  ['{list}', 'red,green,blue'],
  ['{list*}', 'red,green,blue'],
  ['{keys}', 'semi,%3B,dot,.,comma,%2C'],
  ['{keys*}', 'semi=%3B,dot=.,comma=%2C'],
  ['{+path:6}/here', '/foo/b/here'],
  ['{+list}', 'red,green,blue'],
  ['{+list*}', 'red,green,blue'],
  ['{+keys}', 'semi,;,dot,.,comma,,'],
  ['{+keys*}', 'semi=;,dot=.,comma=,'],
  ['{#path:6}/here', '#/foo/b/here'],
  ['{#list}', '#red,green,blue'],
  ['{#list*}', '#red,green,blue'],
  ['{#keys}', '#semi,;,dot,.,comma,,'],
  ['{#keys*}', '#semi=;,dot=.,comma=,'],
  ['X{.var:3}', 'X.val'],
  ['X{.list}', 'X.red,green,blue'],
  ['X{.list*}', 'X.red.green.blue'],
  ['X{.keys}', 'X.semi,%3B,dot,.,comma,%2C'],
  ['X{.keys*}', 'X.semi=%3B.dot=..comma=%2C'],
  ['{/var:1,var}', '/v/value'],
  ['{/list}', '/red,green,blue'],
  ['{/list*}', '/red/green/blue'],
  ['{/list*,path:4}', '/red/green/blue/%2Ffoo'],
  ['{/keys}', '/semi,%3B,dot,.,comma,%2C'],
  ['{/keys*}', '/semi=%3B/dot=./comma=%2C'],
  ['{;hello:5}', ';hello=Hello'],
  ['{;list}', ';list=red,green,blue'],
  ['{;list*}', ';list=red;list=green;list=blue'],
  ['{;keys}', ';keys=semi,%3B,dot,.,comma,%2C'],
  ['{;keys*}', ';semi=%3B;dot=.;comma=%2C'],
  ['{?var:3}', '?var=val'],
  ['{?list}', '?list=red,green,blue'],
  ['{?list*}', '?list=red&list=green&list=blue'],
  ['{?keys}', '?keys=semi,%3B,dot,.,comma,%2C'],
  ['{?keys*}', '?semi=%3B&dot=.&comma=%2C'],
  ['{&var:3}', '&var=val'],
  ['{&list}', '&list=red,green,blue'],
  ['{&list*}', '&list=red&list=green&list=blue'],
  ['{&keys}', '&keys=semi,%3B,dot,.,comma,%2C'],
  ['{&keys*}', '&semi=%3B&dot=.&comma=%2C'],
  // §3.2.1 variable expansion
  ['{count}', 'one,two,three'],
  ['{count*}', 'one,two,three'],
  ['{/count}', '/one,two,three'],
  ['{/count*}', '/one/two/three'],
  ['{;count}', ';count=one,two,three'],
  ['{;count*}', ';count=one;count=two;count=three'],
  ['{?count}', '?count=one,two,three'],
  ['{?count*}', '?count=one&count=two&count=three'],
  ['{&count*}', '&count=one&count=two&count=three'],
  // §3.2.2 simple string expansion
  ['{half}', '50%25'],
  ['O{empty}X', 'OX'],
  ['O{undef}X', 'OX'],
  ['?{x,empty}', '?1024,'],
  ['?{x,undef}', '?1024'],
  ['?{undef,y}', '?768'],
  // §3.2.3 reserved expansion
  ['{+half}', '50%25'],
  ['{base}index', 'http%3A%2F%2Fexample.com%2Fhome%2Findex'],
  ['{+base}index', 'http://example.com/home/index'],
  ['O{+empty}X', 'OX'],
  ['O{+undef}X', 'OX'],
  ['up{+path}{var}/here', 'up/foo/barvalue/here'],
  // §3.2.4 fragment expansion
  ['{#var}', '#value'],
  ['{#hello}', '#Hello%20World!'],
  ['{#half}', '#50%25'],
  ['foo{#empty}', 'foo#'],
  ['foo{#undef}', 'foo'],
  // §3.2.5 label expansion with dot-prefix
  ['{.who}', '.fred'],
  ['{.half,who}', '.50%25.fred'],
  ['www{.dom*}', 'www.example.com'],
  ['X{.empty}', 'X.'],
  ['X{.undef}', 'X'],
  ['X{.empty_keys}', 'X'],
  ['X{.empty_keys*}', 'X'],
  // §3.2.6 path segment expansion
  ['{/who}', '/fred'],
  ['{/half,who}', '/50%25/fred'],
  ['{/who,dub}', '/fred/me%2Ftoo'],
  ['{/var,empty}', '/value/'],
  ['{/var,undef}', '/value'],
  // §3.2.7 path-style parameter expansion
  ['{;who}', ';who=fred'],
  ['{;half}', ';half=50%25'],
  ['{;empty}', ';empty'],
  ['{;v,empty,who}', ';v=6;empty;who=fred'],
  ['{;v,bar,who}', ';v=6;who=fred'],
  ['{;x,y,undef}', ';x=1024;y=768'],
  // §3.2.8 form-style query expansion
  ['{?who}', '?who=fred'],
  ['{?half}', '?half=50%25'],
  ['{?x,y,undef}', '?x=1024&y=768'],
  // §3.2.9 form-style query continuation
  ['{&who}', '&who=fred'],
  ['{&half}', '&half=50%25'],
  ['{&x,y,undef}', '&x=1024&y=768'],
];

/** Strings that differ from a possible expansion: the reverse match must refuse them. */
const NEAR_MISSES: [string, string][] = [
  ['{var:3}', 'valu'],
  ['X{.var:3}', 'X.valu'],
  ['{;hello:5}', ';hello=Hello%20'],
  ['{/path:4}', '/%2Ffoo1'],
  ['{+path:6}/here', '/foo/ba/here'],
  // Order of variables, names of parameters.
  ['{?x,y}', '?y=768&x=1024'],
  ['{;x,y}', ';y=768;x=1024'],
  ['?fixed=yes{&x}', '?fixed=yes&y=1024'],
  ['{?x}', '?x'],
  // Allowed characters: raw space, "/" in a simple or path value, "%" alone.
  ['{hello}', 'Hello World!'],
  ['{+hello}', 'Hello World!'],
  ['{/var}', '/a/b'],
  ['{var}', 'a/b'],
  ['{.var}', '.a/b'],
  ['{half}', '50%'],
  // What an encoder never writes: lowercase hex, an unreserved character
  // encoded, bytes that are not UTF-8.
  ['{var}', '%2f'],
  ['{var}', '%7E'],
  ['{var}', '%C3'],
  ['{var}', '%ED%A0%80'],
  // An associative array is all name=value; a list is never mixed with it.
  ['{keys*}', 'semi=%3B,dot'],
  ['{;keys*}', ';semi=%3B;'],
  // Literals are compared exactly.
  ['{+path}/here', '/foo/bar/Here'],
  ['map?{x,y}', 'map/1024,768'],
];

void describe('RFC 6570 examples', () => {
  for (const [text, expected] of RFC_EXAMPLES) {
    void it(`${text} expands to ${expected} and matches it back`, () => {
      const template = parse(text);
      assert.equal(expandUriTemplate(template, RFC_VARIABLES), expected);
      if (repeatedVariable(template) !== undefined) {
        // `{/var:1,var}`: one variable twice. Matching it exactly needs a
        // back-reference, matching the occurrences independently would
        // over-match: refused, so the selector matches only its own text.
        assert.throws(() => compileUriTemplate(template), RangeError);
        assert.equal(new TopicMatcher().match(text, expected), false);
        assert.equal(new TopicMatcher().match(text, text), true);
        return;
      }
      const matcher = compileUriTemplate(template);
      const values = matcher.matchWithValues(expected);
      assert.ok(values, `${text} should match ${expected}`);
      assert.equal(expandUriTemplate(template, values), expected);
      // And through the topic selector.
      assert.equal(new TopicMatcher().match(text, expected), true);
    });
  }
  for (const [text, topic] of NEAR_MISSES) {
    void it(`${text} does not match ${topic}`, () => {
      assert.equal(compileUriTemplate(parse(text)).match(topic), false);
      assert.equal(new TopicMatcher().match(text, topic), false);
    });
  }
});

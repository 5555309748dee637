/**
 * `match_urlpattern` matchers: the standard's semantics (checked against
 * urlpattern-polyfill's own `test()` on short inputs, where its backtracking
 * is harmless), the Mercure rules (hub URL as base, `*` wildcard, refused
 * characters and regexp groups), and the denial-of-service bounds.
 *
 * @see https://github.com/dunglas/mercure/blob/v1.0.0-alpha.3/spec/mercure.md#url-pattern
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { URLPattern } from 'urlpattern-polyfill/urlpattern';
import {
  compileUrlPattern,
  DEFAULT_MAX_URL_PATTERN_STEPS,
  type CompiledUrlPattern,
} from '../../src/hub/url-pattern.js';
import { classifyMatcherParam, compileTopicMatcher } from '../../src/hub/matcher-spec.js';
import { SseError } from '../../src/protocol/sse-error.js';

const BASE = 'https://hub.example/.well-known/mercure';

function compile(pattern: string, options: Parameters<typeof compileUrlPattern>[1] = {}) {
  const compiled = compileUrlPattern(pattern, { baseUrl: BASE, ...options });
  if (compiled instanceof SseError) assert.fail(`refused ${pattern}: ${compiled.message}`);
  return compiled;
}

function refusal(pattern: string, options: Parameters<typeof compileUrlPattern>[1] = {}): SseError {
  const compiled = compileUrlPattern(pattern, { baseUrl: BASE, ...options });
  assert.ok(compiled instanceof SseError, `${pattern} should be refused`);
  assert.equal(compiled.code, 'SSE_ERR_INVALID_TOPIC');
  assert.equal(compiled.field, 'match_urlpattern');
  return compiled;
}

void describe('URL pattern semantics agree with the URL Pattern Standard (polyfill as oracle)', () => {
  const patterns = [
    'https://example.com/books/:id',
    '/books/:id',
    'books/:id',
    'https://*.example.com/a{/:b}?/c*',
    '/a/:x(.*)',
    '/a/*/b/*',
    '/foo/:bar*',
    '/foo/:bar+',
    '/foo{-:x}*',
    'https://example.com/books/:id?x=1#frag',
    ':proto://example.com/',
    'http{s}?://h/*',
    '/a/:a:b',
    '/a/**',
    'https://example.net/foo/:random',
    '/.well-known/mercure/subscriptions/exact/:topic/:subscriber',
    'foo://h/a/:b',
    'https://example.com/books/:id\\?x=:y',
    'https://example.com:8080/*',
    'https://u\\:p@example.com/*',
    'https://example.com/caf%C3%A9/*',
  ];
  const topics = [
    'https://example.com/books/1',
    'https://example.com/books/1/2',
    'https://example.com/books/',
    '/books/1',
    'https://hub.example/books/x',
    'https://hub.example/.well-known/books/x',
    'https://a.example.com/a/c',
    'https://a.b.example.com/a/x/c',
    'https://example.com/a/c',
    'https://hub.example/a/x/b/y',
    'https://hub.example/a/',
    'https://hub.example/a/x',
    'https://hub.example/a/x/y',
    '/foo',
    '/foo/',
    '/foo/a',
    '/foo/a/b',
    '/foo-a-b',
    '/foo-',
    'https://example.com/books/1?x=1',
    'https://example.com/books?x=1#frag',
    'https://example.com/books/?x=1#frag',
    'ftp://example.com/',
    'https://example.com/',
    'http://h/x',
    'https://h/x',
    'httpss://h/x',
    '/a/xy',
    '/a/x',
    'https://example.net/foo/abc',
    '/.well-known/mercure/subscriptions/exact/a%2Fb/urn%3Auuid%3A1',
    'foo://h/a/b/c',
    'foo://h/a/',
    'https://example.com/books/1?x=2',
    'https://example.com:8080/x',
    'https://example.com:443/x',
    'https://example.com/x',
    'https://u:p@example.com/x',
    'urn:isbn:123',
    'https://EXAMPLE.com/books/1',
    'https://example.com/Books/1',
    'https://example.com/café/x',
  ];
  for (const pattern of patterns) {
    void test(pattern, () => {
      const oracle = new URLPattern(pattern, BASE);
      const mine = compile(pattern);
      for (const topic of topics) {
        assert.equal(mine.test(topic), oracle.test(topic, BASE), `${pattern} against ${topic}`);
      }
    });
  }
});

void describe('Mercure rules for URL patterns', () => {
  void test('the spec example: https://example.com/books/:id', () => {
    const m = compile('https://example.com/books/:id');
    assert.equal(m.test('https://example.com/books/1'), true);
    assert.equal(m.test('https://example.com/books/1/reviews'), false);
    assert.equal(m.test('https://example.com/books'), false);
  });

  void test('relative patterns and relative topics resolve against the hub URL', () => {
    const m = compile('/.well-known/mercure/subscriptions/exact/:topic/:subscriber');
    const topic =
      '/.well-known/mercure/subscriptions/exact/https%3A%2F%2Fexample.com%2Ffoo/urn%3Auuid%3A1';
    assert.equal(m.test(topic), true, 'relative topic');
    assert.equal(
      m.test(`https://hub.example${topic}`),
      true,
      'the same topic, absolute on the hub',
    );
    assert.equal(m.test(`https://elsewhere.example${topic}`), false, 'another host');
  });

  void test('paths are case-sensitive (ignoreCase is never set); hosts are canonicalized', () => {
    const m = compile('https://example.com/books/:id');
    assert.equal(m.test('https://example.com/Books/1'), false);
    assert.equal(m.test('https://EXAMPLE.COM/books/1'), true);
  });

  void test('a topic that is not a URL reference matches no URL pattern', () => {
    const m = compile('*://*/*');
    assert.equal(m.test('http://[::1'), false);
    assert.equal(m.test('https://exa mple.com/'), false);
  });

  void test('"*" is the reserved wildcard: it matches every topic, URL or not', () => {
    const m = compile('*');
    assert.equal(m.test('http://[::1'), true);
    assert.equal(m.test('urn:isbn:1'), true);
    assert.equal(m.test('anything'), true);
  });

  void test('custom regexp groups are refused (user input for a backtracking engine)', () => {
    for (const pattern of ['/books/(\\d+)', '/a/:x(a+)+b', '/(a|a)*b', '/a/([^/]+?)']) {
      assert.match(refusal(pattern).message, /custom regular expression groups are not supported/);
    }
  });

  void test("the standard's own wildcard regexps are accepted as wildcards", () => {
    assert.equal(compile('/a/:x(.*)').test('/a/b/c'), true);
    assert.equal(compile('/a/([^\\/]+?)').test('/a/b'), true);
    assert.equal(compile('/a/([^\\/]+?)').test('/a/b/c'), false);
  });

  void test('malformed patterns are refused', () => {
    for (const pattern of ['/books/:', 'https://example.com/{', '/a/(', '/a/:x/:x']) {
      assert.match(refusal(pattern).message, /not a well-formed URL pattern|unsupported/);
    }
  });

  void test('empty, control and format characters are refused', () => {
    refusal('');
    assert.match(refusal('/a\u0000b').message, /U\+0000/);
    assert.match(refusal('/a\u0085b').message, /U\+0085/);
    assert.match(refusal('/a\u202eb').message, /U\+202E/, 'RIGHT-TO-LEFT OVERRIDE (Cf)');
    assert.match(refusal('/a\u200bb').message, /U\+200B/, 'ZERO WIDTH SPACE (Cf)');
    assert.match(refusal('/a\ud800b').message, /U\+D800/, 'a lone surrogate is not UTF-8');
  });

  void test('patterns longer than maxPatternLength UTF-8 bytes are refused', () => {
    const long = `/${'a'.repeat(4095)}`;
    compile(long);
    assert.match(refusal(`${long}b`).message, /longer than 4096 bytes/);
    assert.match(refusal('/é', { maxPatternLength: 2 }).message, /longer than 2 bytes/);
  });
});

void describe('denial of service: evaluation is linear and budgeted', () => {
  // With urlpattern-polyfill's own test() (a backtracking RegExp), this
  // pattern took 1.5 s on an 81-character topic and 67 s on 161 characters
  // (Node 20, measured while writing this module); it has no custom regexp.
  const pathological: [string, (n: number) => string][] = [
    ['/*-*-*-*-*-*x', (n) => `/${'-'.repeat(n)}`],
    ['/:a-:b-:c-:d-:e-:f-x', (n) => `/${'a-'.repeat(n)}`],
    ['/*a*a*a*a*a*a*a*a*a*a*b', (n) => `/${'a'.repeat(n)}`],
  ];
  for (const [pattern, topicOf] of pathological) {
    void test(`${pattern}: steps grow linearly with the topic`, () => {
      const m: CompiledUrlPattern = compile(pattern);
      const small = m.evaluate(topicOf(200));
      const large = m.evaluate(topicOf(800));
      assert.equal(small.matched, false);
      assert.equal(large.matched, false);
      assert.equal(large.aborted, false, 'within the default budget');
      const ratio = large.steps / small.steps;
      assert.ok(ratio > 3 && ratio < 5, `4× the topic, ${ratio.toFixed(2)}× the steps`);
      assert.ok(large.steps < DEFAULT_MAX_URL_PATTERN_STEPS);
    });
  }

  void test('a topic that exhausts the step budget does not match, even if it would', () => {
    const m = compile('/*-x', { maxSteps: 200 });
    assert.equal(m.test('/a-x'), true);
    const topic = `/${'-'.repeat(1000)}x`;
    const result = m.evaluate(topic);
    assert.deepEqual(
      { matched: result.matched, aborted: result.aborted },
      { matched: false, aborted: true },
    );
    assert.equal(compile('/*-x').test(topic), true, 'it matches with the default budget');
  });
});

void describe('matcher specs (match, match_exact, match_urlpattern)', () => {
  void test('parameter names: case-sensitive, the whole match prefix reserved', () => {
    assert.equal(classifyMatcherParam('match'), 'exact');
    assert.equal(classifyMatcherParam('match_exact'), 'exact');
    assert.equal(classifyMatcherParam('match_urlpattern'), 'urlpattern');
    for (const name of [
      'Match',
      'MATCH_exact',
      'match_URLPattern',
      'match_regex',
      'matches',
      'match_',
    ]) {
      assert.equal(classifyMatcherParam(name), 'reserved', name);
    }
    for (const name of ['topic', 'last_event_id', 'lastEventID', 'mat', 'authorization']) {
      assert.equal(classifyMatcherParam(name), undefined, name);
    }
  });

  void test('exact matchers compare byte for byte, without resolution or normalization', () => {
    const m = compileTopicMatcher({ type: 'exact', value: 'https://example.com/café' });
    assert.ok(!(m instanceof SseError));
    assert.equal(m.test('https://example.com/café'), true);
    assert.equal(m.test('https://example.com/cafe\u0301'), false, 'NFD is another topic');
    assert.equal(m.test('https://example.com/caf%C3%A9'), false);
    const relative = compileTopicMatcher({ type: 'exact', value: '/books/1' });
    assert.ok(!(relative instanceof SseError));
    assert.equal(relative.test('https://hub.example/books/1'), false);
  });

  void test('"*" matches everything whatever the type; bad values are refused', () => {
    const m = compileTopicMatcher({ type: 'exact', value: '*' });
    assert.ok(!(m instanceof SseError));
    assert.equal(m.test('anything'), true);
    const empty = compileTopicMatcher({ type: 'exact', value: '' });
    assert.ok(empty instanceof SseError);
    assert.equal(empty.field, 'match');
    const control = compileTopicMatcher({ type: 'exact', value: 'a\nb' });
    assert.ok(control instanceof SseError);
  });
});

/**
 * Topic selectors: exact, `*`, RFC 6570 URI templates matched in reverse
 * (Mercure v0.x "Subscription"), and the bounded caches.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TopicMatcher, compileSelector, isExactSelector } from '../../src/hub/topic-selector.js';

void describe('TopicMatcher', () => {
  const cases: [selector: string, topic: string, expected: boolean][] = [
    ['https://example.com/books/1', 'https://example.com/books/1', true],
    ['https://example.com/books/1', 'https://example.com/books/12', false],
    ['https://example.com/books/1', 'https://example.com/Books/1', false],
    ['*', 'anything at all', true],
    ['https://example.com/books/{id}', 'https://example.com/books/1', true],
    ['https://example.com/books/{id}', 'https://example.com/books/1/reviews', false],
    ['https://example.com/books/{id}', 'https://example.com/authors/1', false],
    ['https://example.com/books/{id}.json', 'https://example.com/books/7.json', true],
    ['https://example.com/{+path}', 'https://example.com/a/b/c', true],
    ['https://example.com/books{/id}', 'https://example.com/books/1', true],
    ['https://example.com/books{/id}', 'https://example.com/books/1/2', false],
    ['https://example.com/books{?x}', 'https://example.com/books?x=1', true],
    ['https://example.com/books{?x}', 'https://example.com/books', true],
    ['https://example.com/books{?x,y}', 'https://example.com/books?x=1&y=2', true],
    // The Mercure example: an alternate topic carrying an encoded IRI.
    [
      'https://example.com/users/foo/{?topic}',
      'https://example.com/users/foo/?topic=https%3A%2F%2Fexample.com%2Fbooks%2F1',
      true,
    ],
    // A template also matches its own text (as the Go hub does).
    ['https://example.com/books/{id}', 'https://example.com/books/{id}', true],
    // Malformed templates match nothing but their own text.
    ['https://example.com/{', 'https://example.com/x', false],
    ['https://example.com/{', 'https://example.com/{', true],
  ];
  const matcher = new TopicMatcher();
  for (const [selector, topic, expected] of cases) {
    void it(`${selector} ${expected ? 'matches' : 'does not match'} ${topic}`, () => {
      assert.equal(matcher.match(selector, topic), expected);
      // Cached result: same answer.
      assert.equal(matcher.match(selector, topic), expected);
    });
  }

  void it('classifies exact selectors', () => {
    assert.equal(isExactSelector('https://example.com/a'), true);
    assert.equal(isExactSelector('*'), false);
    assert.equal(isExactSelector('https://example.com/{id}'), false);
  });

  void it('compiles each template once and bounds the compiled cache', () => {
    const small = new TopicMatcher({ maxSelectors: 3, maxResultsPerSelector: 2 });
    for (let i = 0; i < 10; i++) small.match(`https://example.com/${i}/{id}`, 'x');
    assert.equal(small.size, 3);
    // Results keep being right after per-selector caches are cleared.
    for (let i = 0; i < 10; i++) {
      assert.equal(small.match('https://e.com/{id}', `https://e.com/${i}`), true);
    }
    assert.equal(small.match('https://e.com/{id}', 'https://e.com/1/2'), false);
  });

  void it('matchAny: any selector against any topic', () => {
    assert.equal(matcher.matchAny(['a', 'https://e.com/{id}'], ['z', 'https://e.com/9']), true);
    assert.equal(matcher.matchAny(['a'], ['b', 'c']), false);
    assert.equal(matcher.matchAny([], ['a']), false);
  });
});

void describe('compileSelector', () => {
  void it('classifies selectors', () => {
    assert.equal(compileSelector('*').kind, 'any');
    assert.equal(compileSelector('https://e.com/a').kind, 'exact');
    assert.equal(compileSelector('https://e.com/{id}').kind, 'template');
    assert.equal(compileSelector('https://e.com/{').kind, 'malformed');
    // One variable twice: not matchable exactly, so treated as malformed.
    assert.equal(compileSelector('https://e.com/{id}/{id}').kind, 'malformed');
  });

  void it('matches as the TopicMatcher does', () => {
    const template = compileSelector('https://e.com/books/{id}{?lang}');
    assert.equal(template.match('https://e.com/books/1'), true);
    assert.equal(template.match('https://e.com/books/1?lang=fr'), true);
    assert.equal(template.match('https://e.com/books/1?page=2'), false);
    assert.equal(template.match('https://e.com/books/{id}{?lang}'), true);
    assert.equal(compileSelector('*').match('anything'), true);
    assert.equal(compileSelector('a').match('a'), true);
    assert.equal(compileSelector('a').match('A'), false);
    const malformed = compileSelector('https://e.com/{id}/{id}');
    assert.equal(malformed.match('https://e.com/1/1'), false);
    assert.equal(malformed.match('https://e.com/{id}/{id}'), true);
  });
});

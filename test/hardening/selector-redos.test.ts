/**
 * Topic selectors are client input: parsing and matching them must cost time
 * linear in the topic (and in the selector), whatever the input.
 *
 * The reported ReDoS: the old well-formedness regex backtracked exponentially
 * on `'{.a}'.repeat(26) + '{0'` (seconds for one check; three such selectors
 * in one subscription stalled the hub for 15 s). Here:
 * - that input and other adversarial shapes (many `{`, long runs of `.`,
 *   alternating operators, 2,000-character selectors against 2,000-character
 *   topics) are answered, under one loose termination guard;
 * - the limits hold: longer selectors and selectors with more variables are
 *   malformed (they match only their own text);
 * - the matcher's step counter stays within its stated bound,
 *   O((|topic| + 1) × states), and grows linearly: doubling the topic
 *   doubles the steps, doubling the selector doubles its states.
 *
 * Speed itself is measured in bench/, not here: the only clock below is a
 * termination guard, far above the expected cost (tens of milliseconds with
 * a warm JIT, a few hundred cold on a loaded two-core machine), there to
 * fail (instead of hang) on a regression to exponential time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TopicMatcher } from '../../src/hub/topic-selector.js';
import { compileUriTemplate } from '../../src/hub/uri-template-match.js';
import {
  MAX_SELECTOR_LENGTH,
  MAX_TEMPLATE_VARIABLES,
  parseUriTemplate,
} from '../../src/hub/uri-template-parse.js';

const range = (n: number, f: (i: number) => string): string =>
  Array.from({ length: n }, (_, i) => f(i)).join('');
const OPS = ['', '+', '#', '.', '/', ';', '?', '&'];

/** Adversarial (selector, topic) pairs, each at most the selector limit. */
const ADVERSARIAL: [name: string, selector: string, topic: string][] = [
  ['the reported input', '{.a}'.repeat(26) + '{0', '.a'.repeat(26)],
  ['the reported shape, distinct names', range(32, (i) => `{.a${i}}`) + '{0', 'x'],
  ['many {', '{'.repeat(2048), '{'.repeat(2000)],
  ['many { then }', '{'.repeat(1024) + '}'.repeat(1024), 'x'.repeat(2000)],
  ['long run of dots in a name', '{a' + '.'.repeat(2040) + 'b}', '.'.repeat(2000)],
  ['long dotted name', '{' + 'a.'.repeat(1020) + 'a}', 'a'.repeat(2000)],
  ['long run of dots in a literal', '.'.repeat(1000) + '{.a}' + '.'.repeat(1000), '.'.repeat(2000)],
  [
    'alternating operators',
    range(32, (i) => `{${OPS[i % 8] ?? ''}v${i}}`),
    '/;?&=,.#a'.repeat(222),
  ],
  [
    'alternating operators, exploded',
    range(32, (i) => `{${OPS[i % 8] ?? ''}v${i}*}`),
    '/;?&=,.#a'.repeat(222),
  ],
  ['optional labels', range(32, (i) => `{.a${i}}`), '.a'.repeat(1000)],
  [
    'one expression, many variables',
    `{${range(32, (i) => `v${i},`).slice(0, -1)}}`,
    ','.repeat(2000),
  ],
  ['2,000-character literal', `{+a}${'a'.repeat(2040)}{+b}`, 'a'.repeat(2000)],
  ['2,000-character literal, longer topic', `{+a}${'a'.repeat(2040)}{+b}`, 'a'.repeat(4000)],
  ['literals between variables', range(32, (i) => `{+v${i}}${'ab'.repeat(29)}`), 'ab'.repeat(1000)],
  ['prefixes', range(32, (i) => `{+v${i}:9999}`), '%25a'.repeat(500)],
  ['prefixes over triplets', range(32, (i) => `{v${i}:9999}`), '%C3%A9'.repeat(333)],
  ['named parameters', `{?${range(32, (i) => `v${i}*,`).slice(0, -1)}}`, '?v1=&v2=&'.repeat(222)],
];

void describe('selector matching cost (ReDoS)', () => {
  void it('answers the reported input and every adversarial shape (termination guard)', () => {
    const matcher = new TopicMatcher();
    const started = performance.now();
    for (const [name, selector, topic] of ADVERSARIAL) {
      matcher.match(selector, topic);
      matcher.match(selector, `${topic}/x`);
      // Checked after each input, so that an exponential matcher fails here
      // rather than hangs (the old regex took seconds on the first input,
      // and would take hours on the 32-variable one).
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 2000, `${elapsed.toFixed(0)} ms after "${name}"`);
    }
  });

  void it('refuses selectors over the length limit (they match only their own text)', () => {
    assert.equal(MAX_SELECTOR_LENGTH, 2048);
    const head = 'https://e.com/';
    const fits = head + 'x'.repeat(MAX_SELECTOR_LENGTH - head.length - 4) + '{id}';
    const over = head + 'x'.repeat(MAX_SELECTOR_LENGTH - head.length - 3) + '{id}';
    assert.equal(fits.length, MAX_SELECTOR_LENGTH);
    const matcher = new TopicMatcher();
    assert.equal(matcher.match(fits, fits.replace('{id}', '1')), true);
    assert.equal(matcher.match(over, over.replace('{id}', '1')), false);
    assert.equal(matcher.match(over, over), true);
  });

  void it('refuses selectors with more variables than the limit', () => {
    assert.equal(MAX_TEMPLATE_VARIABLES, 32);
    const fits = range(MAX_TEMPLATE_VARIABLES, (i) => `{/v${i}}`);
    const over = range(MAX_TEMPLATE_VARIABLES + 1, (i) => `{/v${i}}`);
    const matcher = new TopicMatcher();
    assert.equal(matcher.match(fits, '/1/2'), true);
    assert.equal(matcher.match(over, '/1/2'), false);
    assert.equal(parseUriTemplate(over).ok, false);
  });

  void it('stays within O((|topic| + 1) × states) steps, with states O(|selector|)', () => {
    for (const [name, selector, topic] of ADVERSARIAL) {
      const parsed = parseUriTemplate(selector);
      if (!parsed.ok) continue; // malformed: equality only
      const matcher = compileUriTemplate(parsed.template);
      assert.ok(matcher.states <= 16 * selector.length, `${name}: ${matcher.states} states`);
      const { steps } = matcher.measure(topic);
      // Per position: each live state once in the ε-closure and once for
      // its token; each long literal's occurrence table once per topic.
      const bound = 3 * (topic.length + 1) * matcher.states;
      assert.ok(steps <= bound, `${name}: ${steps} steps > ${bound}`);
    }
  });

  /** Families of adversarial inputs: selector(k) with a topic of length about n. */
  const families: [string, (k: number) => string, (n: number) => string][] = [
    ['optional labels', (k) => range(k, (i) => `{.a${i}}`), (n) => '.a'.repeat(n / 2)],
    [
      'operators',
      (k) => range(k, (i) => `{${OPS[i % 8] ?? ''}v${i}*}`),
      (n) => '/;?&=,.#'.repeat(n / 8),
    ],
    ['prefixes', (k) => range(k, (i) => `{+v${i}:9999}`), (n) => '%25a'.repeat(n / 4)],
    ['literals', (k) => `{+a}${'a'.repeat(64 * k)}{+b}`, (n) => 'a'.repeat(n)],
    ['list items', (k) => `{${range(k, (i) => `v${i},`).slice(0, -1)}}`, (n) => ','.repeat(n)],
  ];

  const steps = (selector: string, topic: string): number => {
    const parsed = parseUriTemplate(selector);
    assert.ok(parsed.ok);
    return compileUriTemplate(parsed.template).measure(topic).steps;
  };
  const states = (selector: string): number => {
    const parsed = parseUriTemplate(selector);
    assert.ok(parsed.ok);
    return compileUriTemplate(parsed.template).states;
  };

  void it('grows linearly: twice the topic, at most about twice the steps', () => {
    for (const [name, selector, topic] of families) {
      // (A short literal: it occurs early in both topics, so the second is
      // the first's regime, twice as long.)
      const k = name === 'literals' ? 1 : 16;
      const small = steps(selector(k), topic(800));
      const large = steps(selector(k), topic(1600));
      assert.ok(large <= 2.2 * small, `${name}: ${small} -> ${large} steps`);
    }
  });

  void it('grows linearly: twice the selector, at most about twice the states and steps', () => {
    for (const [name, selector, topic] of families) {
      const k = name === 'literals' ? 8 : 16;
      assert.ok(states(selector(2 * k)) <= 2.2 * states(selector(k)), `${name}: states`);
      const small = steps(selector(k), topic(1600));
      const large = steps(selector(2 * k), topic(1600));
      assert.ok(large <= 2.2 * small, `${name}: ${small} -> ${large} steps`);
    }
  });
});

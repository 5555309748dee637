/**
 * Property tests: the reverse matcher is exact for the expander.
 *
 *   (a) no under-match: for any template and any values, the matcher accepts
 *       expand(template, values), and returns values that expand back to it;
 *   (b) no over-match: for any template and any string, whenever the matcher
 *       accepts the string it returns a witness assignment, and
 *       expand(template, witness) is the string, byte for byte.
 *
 * Templates mix every operator, prefix and explode modifiers, dotted and
 * pct-encoded varnames, and literals with separators and triplets. Values mix
 * strings (reserved characters, "%" with and without hex digits, non-ASCII,
 * astral characters, empty), lists, associative arrays (objects and pairs)
 * and undefined. Strings for (b) are drawn from the characters that matter
 * (`/ ; ? & = , . #`, triplets in both cases, the template's own names), or
 * made by mutating an expansion, so that matches are frequent.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6570
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { expandUriTemplate, type UriTemplateValue } from '../../src/hub/uri-template-expand.js';
import { compileUriTemplate } from '../../src/hub/uri-template-match.js';
import {
  parseUriTemplate,
  type UriTemplate,
  type UriTemplateOperator,
  type VarSpec,
} from '../../src/hub/uri-template-parse.js';

const OPERATORS: UriTemplateOperator[] = ['', '+', '#', '.', '/', ';', '?', '&'];
/**
 * Distinct names (pct-encoded spellings differ beyond hex case), more than a
 * template uses (4 expressions of 3 varspecs at most).
 */
const NAMES = ['a', 'b', 'x', 'y', 'z', 'id', 'a.b', 'v1', '_u', 'a%2Fb', 'q%20r', 'lang', 'k.l.m'];

/** A varspec without its name: modifier only. */
const modifier = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ prefix: 0, explode: false }) },
  { weight: 2, arbitrary: fc.constant({ prefix: 0, explode: true }) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(fc.integer({ min: 1, max: 5 }), fc.constant(9999))
      .map((prefix) => ({ prefix, explode: false })),
  },
);

const literalText = fc
  .array(
    fc.constantFrom('/', '?', '&', '=', ',', '.', '#', ';', 'a', 'b', 'x', '%2F', '%2f', 'é', ':'),
    { minLength: 1, maxLength: 4 },
  )
  .map((parts) => parts.join(''));

type Shape =
  | { readonly literal: string }
  | {
      readonly operator: UriTemplateOperator;
      readonly mods: readonly { prefix: number; explode: boolean }[];
    };

/** A well-formed template with distinct variable names. */
const template: fc.Arbitrary<UriTemplate> = fc
  .array(
    fc.oneof(
      literalText.map((literal): Shape => ({ literal })),
      fc
        .record({
          operator: fc.constantFrom(...OPERATORS),
          mods: fc.array(modifier, { minLength: 1, maxLength: 3 }),
        })
        .map((e): Shape => e),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .chain((shapes) =>
    fc
      .shuffledSubarray(NAMES, {
        minLength: shapes.reduce((n, s) => n + ('mods' in s ? s.mods.length : 0), 0),
        maxLength: NAMES.length,
      })
      .map((names) => {
        let next = 0;
        const text = shapes
          .map((shape) => {
            if ('literal' in shape) return shape.literal;
            const specs = shape.mods.map(
              ({ prefix, explode }) =>
                (names[next++] ?? '') + (prefix > 0 ? `:${prefix}` : explode ? '*' : ''),
            );
            return `{${shape.operator}${specs.join(',')}}`;
          })
          .join('');
        const parsed = parseUriTemplate(text);
        if (!parsed.ok) throw new Error(`generated template ${text}: ${parsed.error}`);
        return parsed.template;
      }),
  );

/** Strings that exercise encoding: separators, "%" with and without hex, non-ASCII. */
const valueText = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('a', 'b', 'Z', '0', '9', '-', '.', '_', '~') },
      {
        weight: 3,
        arbitrary: fc.constantFrom('/', '?', '&', '=', ',', '#', ';', ':', '@', '!', '+', '*'),
      },
      { weight: 2, arbitrary: fc.constantFrom('%', '%41', '%2f', '%2F', '%25', '%4', '%zz') },
      { weight: 1, arbitrary: fc.constantFrom(' ', 'é', '€', '😀', '\u0000', '\uFFFE', '"') },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 2 }) },
    ),
    { maxLength: 5 },
  )
  .map((parts) => parts.join(''));

const keyText = valueText.filter((key) => key !== '');

function valueFor(spec: VarSpec): fc.Arbitrary<UriTemplateValue | undefined> {
  const string = valueText;
  if (spec.prefix > 0) return fc.option(string, { nil: undefined, freq: 4 });
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: string },
    { weight: 2, arbitrary: fc.array(string, { minLength: 1, maxLength: 3 }) },
    {
      weight: 2,
      arbitrary: fc.array(fc.tuple(keyText, string), { minLength: 1, maxLength: 3 }),
    },
    {
      weight: 1,
      arbitrary: fc
        .dictionary(keyText, string, { minKeys: 1, maxKeys: 3 })
        .map((record): UriTemplateValue => record),
    },
  );
}

function varspecs(t: UriTemplate): VarSpec[] {
  return t.parts.flatMap((part) => (typeof part === 'string' ? [] : [...part.varspecs]));
}

/** A template with values for its variables. */
const withValues = template.chain((t) =>
  fc
    .tuple(...varspecs(t).map((spec) => valueFor(spec).map((value) => [spec.name, value] as const)))
    .map((entries) => ({ template: t, values: new Map(entries) })),
);

/** Asserts the witness of a match re-expands to `uri` exactly. */
function assertWitness(t: UriTemplate, uri: string): boolean {
  const matcher = compileUriTemplate(t);
  const matched = matcher.match(uri);
  const witness = matcher.matchWithValues(uri);
  assert.equal(witness !== undefined, matched, `match and matchWithValues disagree on ${uri}`);
  if (witness !== undefined) {
    assert.equal(
      expandUriTemplate(t, witness),
      uri,
      `${t.source} matched ${JSON.stringify(uri)} with ${JSON.stringify([...witness])}`,
    );
  }
  return matched;
}

type Edit =
  | { readonly kind: 'insert'; readonly at: number; readonly text: string }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number };

/** Small edits of a string: matches stay frequent, over-matches get a chance. */
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.constantFrom('/', ';', '?', '&', '=', ',', '.', '#', 'a', '%2F', '%25', '%C3%A9', '%'),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 3 }),
  }),
);

function applyEdits(text: string, edits: readonly Edit[]): string {
  let out = text;
  for (const e of edits) {
    const at = e.at % (out.length + 1);
    out =
      e.kind === 'insert'
        ? out.slice(0, at) + e.text + out.slice(at)
        : out.slice(0, at) + out.slice(at + e.length);
  }
  return out;
}

void describe('URI template reverse matching (properties)', () => {
  void it('(a) accepts every expansion, with values that expand back to it', () => {
    fc.assert(
      fc.property(withValues, ({ template: t, values }) => {
        const uri = expandUriTemplate(t, values);
        const matcher = compileUriTemplate(t);
        assert.equal(matcher.match(uri), true, `${t.source} should match ${JSON.stringify(uri)}`);
        const witness = matcher.matchWithValues(uri);
        assert.ok(witness);
        assert.equal(expandUriTemplate(t, witness), uri);
      }),
      { numRuns: 3000 },
    );
  });

  void it('(b) whatever it accepts, it can explain: the witness re-expands exactly', () => {
    const alphabet = (t: UriTemplate) =>
      fc.constantFrom(
        '/',
        ';',
        '?',
        '&',
        '=',
        ',',
        '.',
        '#',
        'a',
        'b',
        'x',
        '%2F',
        '%2f',
        '%25',
        '%41',
        '%C3%A9',
        '%e9',
        '%',
        ...varspecs(t).map((spec) => spec.name),
        ...t.parts.filter((part): part is string => typeof part === 'string'),
      );
    let matches = 0;
    fc.assert(
      fc.property(
        template.chain((t) =>
          fc.tuple(
            fc.constant(t),
            fc.array(alphabet(t), { maxLength: 8 }).map((p) => p.join('')),
          ),
        ),
        ([t, uri]) => {
          if (assertWitness(t, uri)) matches++;
        },
      ),
      { numRuns: 4000 },
    );
    // The strings are drawn so that matches are not rare: the property is not vacuous.
    assert.ok(matches > 100, `only ${matches} matches`);
  });

  void it('(b) on edited expansions: near misses are refused or explained exactly', () => {
    let matches = 0;
    let misses = 0;
    fc.assert(
      fc.property(
        withValues,
        fc.array(edit, { minLength: 1, maxLength: 2 }),
        ({ template: t, values }, edits) => {
          const uri = applyEdits(expandUriTemplate(t, values), edits);
          if (assertWitness(t, uri)) matches++;
          else misses++;
        },
      ),
      { numRuns: 3000 },
    );
    assert.ok(matches > 100 && misses > 100, `${matches} matches, ${misses} misses`);
  });
});

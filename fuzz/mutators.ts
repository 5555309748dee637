/**
 * Mutators: byte-level damage for whole requests, and generators of hostile
 * strings for the parts the hub parses (topic selectors, URI templates, URL
 * patterns, percent-encoding, event ids, form fields).
 */
import type { Rng } from './rng.js';

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** Bytes a parser may trip on, as latin1 characters. */
const CONTROL = '\u0000\u0001\u0007\u0008\t\n\u000b\u000c\r\u001b\u007f\u0080\u00ff';
const URI_CHARS = `${ALNUM}-._~:/?#[]@!$&'()*+,;=%`;

/** One of a handful of damaging byte-level edits of `input` (may change its length). */
export function mutateBytes(rng: Rng, input: Buffer): { bytes: Buffer; label: string } {
  if (input.length === 0) return { bytes: rng.bytes(rng.range(1, 64)), label: 'random bytes' };
  const at = rng.int(input.length);
  const slice = (a: number, b: number): Buffer => input.subarray(a, b);
  switch (rng.int(9)) {
    case 0: {
      const copy = Buffer.from(input);
      copy[at] = (copy[at] ?? 0) ^ (1 << rng.int(8));
      return { bytes: copy, label: `bit flip at ${String(at)}` };
    }
    case 1: {
      const insert = Buffer.from(rng.string(rng.range(1, 8), CONTROL), 'latin1');
      return {
        bytes: Buffer.concat([slice(0, at), insert, slice(at, input.length)]),
        label: `control bytes at ${String(at)}`,
      };
    }
    case 2: {
      const end = Math.min(input.length, at + rng.size(256) + 1);
      return {
        bytes: Buffer.concat([slice(0, at), slice(end, input.length)]),
        label: `delete ${String(at)}..${String(end)}`,
      };
    }
    case 3: {
      const end = Math.min(input.length, at + rng.size(64) + 1);
      const times = rng.range(2, 64);
      const chunk = slice(at, end);
      return {
        bytes: Buffer.concat([
          slice(0, end),
          ...Array.from({ length: times }, () => chunk),
          slice(end, input.length),
        ]),
        label: `repeat ${String(at)}..${String(end)} x${String(times)}`,
      };
    }
    case 4:
      return { bytes: slice(0, at), label: `truncate at ${String(at)}` };
    case 5: {
      const text = input.toString('latin1');
      const to = rng.pick(['\n', '\r', '\r\r\n', '\n\r', '']);
      return {
        bytes: Buffer.from(
          text.replace(/\r\n/g, () => (rng.chance(0.5) ? to : '\r\n')),
          'latin1',
        ),
        label: `line ends -> ${JSON.stringify(to)}`,
      };
    }
    case 6: {
      const byte = rng.pick([0x00, 0x20, 0x3a, 0x0d, 0x0a, 0xff, 0x7b, 0x25]);
      const run = Buffer.alloc(rng.pick([100, 5000, 20_000, 70_000]), byte);
      return {
        bytes: Buffer.concat([slice(0, at), run, slice(at, input.length)]),
        label: `run of 0x${byte.toString(16)} x${String(run.length)} at ${String(at)}`,
      };
    }
    case 7: {
      const copy = Buffer.from(input);
      for (let i = 0; i < rng.range(1, 16); i++) copy[rng.int(copy.length)] = rng.int(256);
      return { bytes: copy, label: 'random byte overwrite' };
    }
    default: {
      const other = rng.int(input.length);
      const a = Math.min(at, other);
      const b = Math.max(at, other);
      return {
        bytes: Buffer.concat([slice(b, input.length), slice(a, b), slice(0, a)]),
        label: `rotate ${String(a)}/${String(b)}`,
      };
    }
  }
}

/** Percent-encoding garbage: broken escapes, overlong UTF-8, encoded CR/LF/NUL. */
export function percentGarbage(rng: Rng): string {
  return rng.pick([
    '%',
    '%%',
    '%G1',
    '%1',
    '%C0%80',
    '%C0%AF',
    '%ED%A0%80',
    '%F4%90%80%80',
    '%FF%FE',
    '%00',
    '%0D%0A',
    '%0A',
    '%E2%80%A8',
    '%7B',
    '%7D',
    '%25%7B',
    '%2F%2E%2E',
    '%u0041',
    '%EF%BF%BD',
  ]);
}

/** A varname of RFC 6570 (sometimes not quite). */
function varname(rng: Rng): string {
  return rng.chance(0.9)
    ? rng.string(rng.range(1, 6), `${ALNUM}_`)
    : rng.pick(['', '.', '%2', '%41', 'a.b', '-', 'a b', 'x'.repeat(500)]);
}

/** One `{…}` expression with random operator, modifiers and list (valid or not). */
export function templateExpression(rng: Rng, small = false): string {
  const op = rng.pick(['', '', '+', '#', '.', '/', ';', '?', '&', '=', ',', '!', '@', '|']);
  const count = small || rng.chance(0.9) ? rng.range(1, 3) : rng.pick([20, 300]);
  const vars: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = rng.int(8);
    const mod = r < 5 ? '' : r === 5 ? '*' : r === 6 ? `:${String(rng.range(0, 10_001))}` : ':';
    vars.push(varname(rng) + mod);
  }
  const body = op + vars.join(',');
  switch (rng.int(6)) {
    case 0:
      return `{${body}`;
    case 1:
      return `${body}}`;
    case 2:
      return `{{${body}}}`;
    case 3:
      return '{}';
    default:
      return `{${body}}`;
  }
}

/** A short selector (at most 200 characters), for long lists of them. */
export function shortSelector(rng: Rng): string {
  return selector(rng).slice(0, 200);
}

/** A topic selector: exact URI, `*`, RFC 6570 template (valid or broken), or junk. */
export function selector(rng: Rng): string {
  const base = rng.pick([
    'https://example.com/books/',
    'https://example.com/',
    'urn:x:',
    '',
    '/relative/',
    'https://ssehub.dev/demo/prices/',
  ]);
  switch (rng.int(10)) {
    case 0:
      return '*';
    case 1:
      return base + rng.string(rng.size(64), URI_CHARS);
    case 2:
    case 3: {
      // Several expressions, maybe adjacent (no literal between them).
      let out = base;
      const n = rng.chance(0.85) ? rng.range(1, 4) : rng.range(10, 400);
      for (let i = 0; i < n; i++) {
        out += templateExpression(rng, n > 4);
        if (rng.chance(0.5)) out += rng.pick(['/', '-', '.', '', 'a', ',', '?x=']);
      }
      return out;
    }
    case 4:
      // Adjacent wide-open expressions: the classic backtracking shape.
      return base + '{+a}'.repeat(rng.range(2, 60)) + rng.pick(['', '/x', '{b}']);
    case 5:
      return base + rng.string(rng.size(8000), '{}+#./;?&,*:0123456789ab');
    case 6:
      return base + percentGarbage(rng) + templateExpression(rng) + percentGarbage(rng);
    case 7:
      return rng.pick([
        '',
        ' ',
        '{',
        '}',
        '{}',
        '{*}',
        '**',
        '*{a}',
        '\u00e9{a}',
        '{a}'.repeat(2000),
      ]);
    case 8:
      // URL Pattern syntax (the 1.0 draft's `match_urlpattern`).
      return urlPattern(rng);
    default:
      return `${base}{id}`;
  }
}

/** URL Pattern strings, including regexp groups and nesting. */
export function urlPattern(rng: Rng): string {
  return rng.pick([
    'https://example.com/books/:id',
    'https://example.com/books/:id(\\d+)',
    'https://example.com/(.*)*',
    'https://example.com/((a+)+)$',
    '/:a+/:b*/:c?',
    '/*'.repeat(rng.range(2, 200)),
    '(' + 'a|'.repeat(rng.range(1, 500)) + 'a)+',
    'https://*:*@*:*/*?*#*',
    '{/:x}?'.repeat(rng.range(1, 100)),
    ':' + 'x'.repeat(rng.range(1, 20_000)),
    '(',
    ')',
    '\\',
    '[',
    '{',
  ]);
}

/** A topic to publish: usually URL-like, sometimes long and full of separators. */
export function topic(rng: Rng): string {
  switch (rng.int(6)) {
    case 0:
      return `https://example.com/books/${String(rng.int(1000))}`;
    case 1:
      return `https://example.com/${'a/'.repeat(rng.range(1, 3000))}`;
    case 2:
      return `https://example.com/books/${'a'.repeat(rng.size(20_000))}`;
    case 3:
      return selector(rng);
    case 4:
      return `https://ssehub.dev/demo/prices/${rng.string(rng.range(1, 8), ALNUM)}`;
    default:
      return rng.string(rng.size(2000), `${URI_CHARS}{} \u00e9\u2028`);
  }
}

/** An event id or `Last-Event-ID` value (valid or hostile). */
export function eventId(rng: Rng): string {
  return rng.pick([
    'earliest',
    '',
    '0',
    '-1',
    'urn:uuid:00000000-0000-0000-0000-000000000000',
    String(rng.int(2 ** 31)),
    'x'.repeat(rng.size(20_000)),
    'a\u0000b',
    'a\rb',
    'a\nb',
    '\u00e9\u00ff',
    '%00',
    '{id}',
    '*',
    rng.string(rng.size(64), ALNUM + CONTROL),
  ]);
}

/** Form-encodes `value` (sometimes leaving raw or broken bytes in). */
export function formEncode(rng: Rng, value: string): string {
  if (rng.chance(0.9)) return encodeURIComponent(value.replace(/[\uD800-\uDFFF]/g, 'x'));
  return value.replace(/[&=\s]/g, () => rng.pick(['&', '=', '%', '+', '%26']));
}

/** Query-encodes `value`, keeping the bytes legal in a request target (or not, sometimes). */
export function queryEncode(rng: Rng, value: string): string {
  const encoded = encodeURIComponent(value.replace(/[\uD800-\uDFFF]/g, 'x'));
  if (rng.chance(0.85)) return encoded;
  // Keep template braces raw, as curl -g and many clients send them.
  return encoded.replace(/%7B/g, '{').replace(/%7D/g, '}');
}

/**
 * RFC 6570 reverse matching: does SOME assignment of the template's
 * variables expand (`uri-template-expand.ts`) to exactly this URI, byte for
 * byte? Exact in both directions: no over-match (every match comes with a
 * witness assignment that re-expands to the URI, see
 * {@link UriTemplateMatcher.matchWithValues}), no under-match.
 *
 * Algorithm: the template is compiled once into an automaton whose language
 * is the set of all its expansions (`uri-template-automaton.ts`); a URI is
 * matched by simulating every state at once, left to right, position by
 * position (Thompson's simulation): no backtracking, no regular expression
 * built from input. A state reached twice at one position is kept once,
 * with the smaller prefix count (a smaller count never allows less).
 *
 * Ambiguity: the question is only whether some assignment exists, so where a
 * URI has several readings (`a,b` as the list `["a","b"]` or, with `+`, the
 * string `"a,b"`), any one is enough; the witness shows one of them.
 *
 * Complexity, for a template of S states (S = O(template length), bounded
 * through `MAX_SELECTOR_LENGTH` and `MAX_TEMPLATE_VARIABLES`) and a URI of n
 * code units: one match takes O((n + 1) × S) steps in the worst case (each
 * position visits each live state once in its ε-closure and once for its
 * token, each with O(1) transitions; a long literal's occurrence table is
 * built once, O(n)), and O(S) memory, allocated once per template and
 * reused. {@link UriTemplateMatcher.measure} counts the steps.
 * `matchWithValues` also keeps the live states of every position: O(n × S)
 * memory (tests and diagnostics; the hub uses `match`).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6570
 *
 * Size: one algorithm, kept whole: the state-set simulation and the witness
 * extraction read the same program and position logs (the parser, the
 * expander and the automaton builder are in their own files).
 */
import {
  BP0,
  BP1,
  C1,
  C2,
  C3,
  E0,
  ED,
  F0,
  F4,
  JUMP,
  LIT,
  MID,
  ROLE_KEY,
  ROLE_STRING,
  START,
  VALUE,
  buildAutomaton,
  type Program,
} from './uri-template-automaton.js';
import type { UriTemplateValue } from './uri-template-expand.js';
import {
  HEXDIG,
  HEXDIG_UPPER,
  RESERVED,
  UNRESERVED,
  isAscii,
  type UriTemplate,
} from './uri-template-parse.js';

export { repeatedVariable } from './uri-template-automaton.js';

/** A compiled template. Synchronous and not re-entrant: scratch memory is reused. */
export interface UriTemplateMatcher {
  /** The template this matcher was compiled from. */
  readonly template: UriTemplate;
  /** Number of automaton states (for tests and diagnostics). */
  readonly states: number;
  /** Does some assignment of the variables expand to exactly `uri`? */
  match(uri: string): boolean;
  /**
   * Like {@link match}, and returns one assignment that expands to `uri`
   * (defined variables only; lists as arrays, associative arrays as
   * `[name, value]` pairs), or undefined when none does.
   */
  matchWithValues(uri: string): Map<string, UriTemplateValue> | undefined;
  /** Like {@link match}, and counts the simulation steps (for complexity tests). */
  measure(uri: string): { matched: boolean; steps: number };
}

/** Literals up to this length are compared in place; longer ones use the occurrence table. */
const SHORT_LITERAL = 16;
const NOWHERE = new Uint8Array(0);

/** How a state was reached, for witnesses. */
const BY_EPS = 0;
const BY_LITERAL = 1;
const BY_RAW = 2;
const BY_PASS = 3;
const BY_ENC = 4;
const BY_LEAD = 5;
const BY_CONT = 6;

/** UTF-8 state after a lead byte (RFC 3629 §4), or -1 when `b` cannot lead. */
function leadState(b: number): number {
  if (b >= 0xc2 && b <= 0xdf) return C1;
  if (b === 0xe0) return E0;
  if (b === 0xed) return ED;
  if (b >= 0xe1 && b <= 0xef) return C2;
  if (b === 0xf0) return F0;
  if (b >= 0xf1 && b <= 0xf3) return C3;
  if (b === 0xf4) return F4;
  return -1;
}

/** UTF-8 state after continuation byte `b` in state `sub`, or -1. */
function continuationState(sub: number, b: number): number {
  switch (sub) {
    case C1:
      return b >= 0x80 && b <= 0xbf ? MID : -1;
    case C2:
      return b >= 0x80 && b <= 0xbf ? C1 : -1;
    case C3:
      return b >= 0x80 && b <= 0xbf ? C2 : -1;
    case E0:
      return b >= 0xa0 && b <= 0xbf ? C1 : -1;
    case ED:
      return b >= 0x80 && b <= 0x9f ? C1 : -1;
    case F0:
      return b >= 0x90 && b <= 0xbf ? C2 : -1;
    default: // F4
      return b >= 0x80 && b <= 0x8f ? C2 : -1;
  }
}

function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}

/**
 * Marks where `literal` starts in `text` (1 at each start offset) in
 * `found[0 … |text|]`: KMP, O(|text| + |literal|).
 */
function occurrences(text: string, literal: string, fail: Int32Array, found: Uint8Array): void {
  found.fill(0, 0, text.length + 1);
  const m = literal.length;
  let k = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    while (k > 0 && literal.charCodeAt(k) !== c) k = fail[k - 1] ?? 0;
    if (literal.charCodeAt(k) === c) k++;
    if (k === m) {
      found[i - m + 1] = 1;
      k = fail[m - 1] ?? 0;
    }
  }
}

/** Live states of one position, with how each was reached (for witnesses). */
interface PositionLog {
  readonly index: Map<number, number>;
  readonly predState: Int32Array;
  readonly predPos: Int32Array;
  readonly by: Uint8Array;
}

/**
 * Scratch memory of one compiled template, reused by every call (calls are
 * synchronous, never nested): four frontiers (positions p … p+3, the
 * farthest a token reaches) of `size` slots each, with the prefix count of
 * each state (-1: absent; all -1 between calls) and the list of live states;
 * the literal occurrence tables; the literal arrivals beyond p + 3.
 */
interface Scratch {
  readonly size: number;
  readonly count: Int32Array;
  readonly list: Int32Array;
  readonly length: Int32Array;
  /** Per JUMP literal: its occurrence table, and the call that filled it. */
  readonly occurs: Uint8Array[];
  readonly occursCall: Int32Array;
  call: number;
  /** Per position, the first pending arrival (-1: none); filled per call when needed. */
  head: Int32Array;
  /** Arrivals: (state, from, next) triples. */
  arrivals: Int32Array;
  /** States in the four frontiers plus literal arrivals still ahead. */
  live: number;
  /** Witnesses only: how each live state was reached (allocated on first use). */
  record: boolean;
  predState: Int32Array;
  predPos: Int32Array;
  by: Uint8Array;
}

function newScratch(program: Program): Scratch {
  return {
    size: program.size,
    count: new Int32Array(4 * program.size).fill(-1),
    list: new Int32Array(4 * program.size),
    length: new Int32Array(4),
    occurs: program.literals.map(() => new Uint8Array(0)),
    occursCall: new Int32Array(program.literals.length),
    call: 0,
    head: new Int32Array(0),
    arrivals: new Int32Array(0),
    live: 0,
    record: false,
    predState: new Int32Array(0),
    predPos: new Int32Array(0),
    by: new Uint8Array(0),
  };
}

/**
 * Adds state `s` at position `pos` with prefix count `c`, keeping the
 * smaller count when it is there already (a module function, so that the
 * simulation loop inlines it).
 */
function add(
  scratch: Scratch,
  pos: number,
  s: number,
  c: number,
  from: number,
  fromPos: number,
  how: number,
): void {
  const f = pos & 3;
  const slot = f * scratch.size + s;
  const old = scratch.count[slot] ?? -1;
  if (old >= 0 && old <= c) return;
  if (old < 0) {
    scratch.list[f * scratch.size + (scratch.length[f] ?? 0)] = s;
    scratch.length[f] = (scratch.length[f] ?? 0) + 1;
    scratch.live++;
  }
  scratch.count[slot] = c;
  if (scratch.record) {
    scratch.predState[slot] = from;
    scratch.predPos[slot] = fromPos;
    scratch.by[slot] = how;
  }
}

/**
 * Simulates `program` on `uri`. Returns whether it accepts; fills `logs`
 * (one per position) when given; adds the steps taken to `stats`.
 */
function simulate(
  program: Program,
  scratch: Scratch,
  uri: string,
  logs: PositionLog[] | undefined,
  stats: { steps: number } | undefined,
): boolean {
  const { size, kind, arg, next, epsStart, epsList, base, max: maxOf, reserved, accept } = program;
  const { count, list, length } = scratch;
  const n = uri.length;
  const record = logs !== undefined;
  if (record && scratch.by.length === 0) {
    scratch.predState = new Int32Array(4 * size);
    scratch.predPos = new Int32Array(4 * size);
    scratch.by = new Uint8Array(4 * size);
  }
  const predState = scratch.predState;
  const predPos = scratch.predPos;
  const by = scratch.by;
  const call = ++scratch.call;
  let steps = 0;
  scratch.live = 0;
  scratch.record = record;
  let arrivals = 0;
  let headReady = false;

  add(scratch, 0, program.start, 0, -1, -1, BY_EPS);
  let accepted = false;
  for (let p = 0; ; p++) {
    const f = p & 3;
    const offset = f * size;
    if (headReady) {
      const { head, arrivals: pending } = scratch;
      for (let e = head[p] ?? -1; e >= 0; e = pending[3 * e + 2] ?? -1) {
        const from = pending[3 * e + 1] ?? 0;
        scratch.live--;
        add(
          scratch,
          p,
          pending[3 * e] ?? 0,
          0,
          from,
          p - (program.literalLength[arg[from] ?? 0] ?? 0),
          BY_LITERAL,
        );
      }
    }
    // ε-closure: every ε-successor is reached with count 0 (counts only
    // live inside a value machine, which ε-edges enter at START or leave).
    for (let j = 0; j < (length[f] ?? 0); j++) {
      const s = list[offset + j] ?? 0;
      steps++;
      for (let e = epsStart[s] ?? 0; e < (epsStart[s + 1] ?? 0); e++) {
        const t = epsList[e] ?? 0;
        const slot = offset + t;
        const old = count[slot] ?? -1;
        if (old === 0) continue;
        if (old < 0) {
          list[offset + (length[f] ?? 0)] = t;
          length[f] = (length[f] ?? 0) + 1;
          scratch.live++;
        }
        count[slot] = 0;
        if (record) {
          predState[slot] = s;
          predPos[slot] = p;
          by[slot] = BY_EPS;
        }
      }
    }
    const live0 = length[f] ?? 0;
    if (record) logs.push(snapshot(list, offset, live0, predState, predPos, by));
    if (p === n) {
      accepted = (count[offset + accept] ?? -1) >= 0;
      break;
    }
    // The token at p: one code unit, and maybe a triplet %HH (b = its byte).
    const c = uri.charCodeAt(p);
    let b = -1;
    let upper = false;
    if (c === 0x25 && p + 2 < n) {
      const h = uri.charCodeAt(p + 1);
      const l = uri.charCodeAt(p + 2);
      if (isAscii(h, HEXDIG) && isAscii(l, HEXDIG)) {
        b = (hexValue(h) << 4) | hexValue(l);
        upper = isAscii(h, HEXDIG_UPPER) && isAscii(l, HEXDIG_UPPER);
      }
    }
    for (let j = 0; j < live0; j++) {
      const s = list[offset + j] ?? 0;
      steps++;
      const k = kind[s] ?? 0;
      if (k === LIT) {
        if (arg[s] === c) add(scratch, p + 1, next[s] ?? 0, 0, s, p, BY_LITERAL);
        continue;
      }
      if (k === JUMP) {
        const index = arg[s] ?? 0;
        const literal = program.literals[index] ?? '';
        if (literal.length <= SHORT_LITERAL) {
          // A short literal (a name, "?x="): compared in place, O(1).
          if (!uri.startsWith(literal, p)) continue;
        } else {
          let found = scratch.occurs[index] ?? NOWHERE;
          if (scratch.occursCall[index] !== call) {
            // First use in this call: where does the literal occur? O(n).
            scratch.occursCall[index] = call;
            if (found.length < n + 1) {
              found = new Uint8Array(n + 1);
              scratch.occurs[index] = found;
            }
            occurrences(uri, literal, program.failures[index] ?? new Int32Array(0), found);
            steps += n;
          }
          if (found[p] !== 1) continue;
        }
        const to = p + literal.length;
        if (to <= p + 3) {
          add(scratch, to, next[s] ?? 0, 0, s, p, BY_LITERAL);
          continue;
        }
        if (!headReady) {
          if (scratch.head.length < n + 1) scratch.head = new Int32Array(n + 1);
          scratch.head.fill(-1, 0, n + 1);
          headReady = true;
        }
        if (scratch.arrivals.length < 3 * (arrivals + 1)) {
          const grown = new Int32Array(Math.max(48, 2 * scratch.arrivals.length));
          grown.set(scratch.arrivals);
          scratch.arrivals = grown;
        }
        const pending = scratch.arrivals;
        pending[3 * arrivals] = next[s] ?? 0;
        pending[3 * arrivals + 1] = s;
        pending[3 * arrivals + 2] = scratch.head[to] ?? -1;
        scratch.head[to] = arrivals;
        arrivals++;
        scratch.live++;
        continue;
      }
      if (k !== VALUE) continue;
      const m = base[s] ?? 0;
      const sub = s - m;
      const max = maxOf[s] ?? 0;
      const at = count[offset + s] ?? -1;
      const allowReserved = reserved[s] === 1;
      if (sub <= BP1) {
        // Between characters: a raw character, or a triplet.
        const allowed = allowReserved ? UNRESERVED | RESERVED : UNRESERVED;
        if (isAscii(c, allowed)) {
          // After a bare "%", two raw hex digits would have made "%HH" a
          // triplet the encoder passes through: not this reading.
          const hex = isAscii(c, HEXDIG);
          if (!(sub === BP1 && hex) && (max === 0 || at < max)) {
            add(scratch, p + 1, m + (sub === BP0 && hex ? BP1 : MID), max && at + 1, s, p, BY_RAW);
          }
        }
        if (b < 0) continue;
        if (allowReserved) {
          // [spec] §3.2.3: pct-encoded triplets in the value pass unchanged
          // (three characters of the value).
          if (max === 0) {
            add(scratch, p + 3, m + MID, 0, s, p, BY_PASS);
            continue;
          }
          if (at + 3 <= max) add(scratch, p + 3, m + MID, at + 3, s, p, BY_PASS);
        }
        // One encoded character (its lead byte counts one).
        if (!upper || (max !== 0 && at >= max)) continue;
        const cost = max && at + 1;
        if (b < 0x80) {
          if (b === 0x25 && allowReserved) add(scratch, p + 3, m + BP0, cost, s, p, BY_ENC);
          else if (!isAscii(b, allowed)) add(scratch, p + 3, m + MID, cost, s, p, BY_ENC);
        } else {
          const lead = leadState(b);
          if (lead >= 0) add(scratch, p + 3, m + lead, cost, s, p, BY_LEAD);
        }
      } else if (b >= 0 && upper) {
        const to = continuationState(sub, b);
        if (to >= 0) add(scratch, p + 3, m + to, at, s, p, BY_CONT);
      }
    }
    // Clear this frontier for position p + 4.
    for (let j = 0; j < live0; j++) count[offset + (list[offset + j] ?? 0)] = -1;
    scratch.live -= live0;
    length[f] = 0;
    if (scratch.live === 0) break;
  }
  // Leave the scratch clean for the next call.
  for (let f = 0; f < 4; f++) {
    for (let j = 0; j < (length[f] ?? 0); j++) count[f * size + (list[f * size + j] ?? 0)] = -1;
    length[f] = 0;
  }
  if (stats) stats.steps += steps;
  return accepted;
}

function snapshot(
  list: Int32Array,
  offset: number,
  live: number,
  predState: Int32Array,
  predPos: Int32Array,
  by: Uint8Array,
): PositionLog {
  const log: PositionLog = {
    index: new Map(),
    predState: new Int32Array(live),
    predPos: new Int32Array(live),
    by: new Uint8Array(live),
  };
  for (let j = 0; j < live; j++) {
    const s = list[offset + j] ?? 0;
    log.index.set(s, j);
    log.predState[j] = predState[offset + s] ?? -1;
    log.predPos[j] = predPos[offset + s] ?? -1;
    log.by[j] = by[offset + s] ?? 0;
  }
  return log;
}

/** A piece of a value read off the accepting path: a string, a list item, a key or a value. */
interface Piece {
  readonly role: number;
  text: string;
}

/** One step of the accepting path: `state` at `pos`, reached from `from` at `fromPos`. */
interface PathStep {
  readonly state: number;
  readonly by: number;
  readonly fromPos: number;
}

/** Walks the accepting path back from the end (`logs` has one entry per position). */
function acceptingPath(program: Program, uri: string, logs: PositionLog[]): PathStep[] {
  const path: PathStep[] = [];
  let state = program.accept;
  let pos = uri.length;
  while (state >= 0) {
    const log = logs[pos];
    const j = log?.index.get(state);
    if (log === undefined || j === undefined) throw new Error('witness: broken path');
    const fromPos = log.predPos[j] ?? -1;
    path.push({ state, by: log.by[j] ?? BY_EPS, fromPos });
    state = log.predState[j] ?? -1;
    pos = fromPos;
  }
  return path.reverse();
}

/** Reads the variables' values off the accepting path. */
function witness(
  program: Program,
  uri: string,
  logs: PositionLog[],
): Map<string, UriTemplateValue> {
  const pieces: Piece[][] = program.variables.map(() => []);
  let current: Piece[] = [];
  let piece: Piece = { role: ROLE_STRING, text: '' };
  let bytes: number[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const byte = (at: number): number => Number.parseInt(uri.slice(at + 1, at + 3), 16);
  for (const step of acceptingPath(program, uri, logs)) {
    // Entering a variable, an empty piece or a value machine: reached by ε
    // or by the literal before it ("=", a separator), never from inside.
    const mark = program.marks.get(step.state);
    if (mark !== undefined) {
      if ('variable' in mark) current = pieces[mark.variable] ?? [];
      else current.push({ role: mark.emptyRole, text: '' });
    }
    const sub = step.state - (program.base[step.state] ?? 0);
    if (program.kind[step.state] === VALUE && sub === START) {
      piece = { role: program.role[step.state] ?? ROLE_STRING, text: '' };
      current.push(piece);
    }
    switch (step.by) {
      case BY_RAW:
        piece.text += uri.charAt(step.fromPos);
        break;
      case BY_PASS:
        piece.text += uri.slice(step.fromPos, step.fromPos + 3);
        break;
      case BY_ENC:
        piece.text += String.fromCharCode(byte(step.fromPos));
        break;
      case BY_LEAD:
        bytes = [byte(step.fromPos)];
        break;
      case BY_CONT:
        bytes.push(byte(step.fromPos));
        if (sub === MID) piece.text += decoder.decode(Uint8Array.from(bytes));
        break;
      default: // BY_EPS, BY_LITERAL: no character of a value
        break;
    }
  }
  const values = new Map<string, UriTemplateValue>();
  // Variables were numbered back to front (the automaton is built from the
  // end): list them in template order.
  for (let i = program.variables.length - 1; i >= 0; i--) {
    const found = pieces[i] ?? [];
    const first = found[0];
    if (first === undefined) continue;
    const name = program.variables[i] ?? '';
    if (first.role === ROLE_KEY) {
      // Keys and values alternate.
      const pairs: [string, string][] = [];
      for (let j = 0; j + 1 < found.length; j += 2) {
        pairs.push([found[j]?.text ?? '', found[j + 1]?.text ?? '']);
      }
      values.set(name, pairs);
    } else if (found.length === 1) {
      values.set(name, first.text);
    } else {
      values.set(
        name,
        found.map((item) => item.text),
      );
    }
  }
  return values;
}

/**
 * Compiles a parsed template for reverse matching: O(template length) time
 * and states.
 *
 * @throws {RangeError} when the template names a variable twice (see
 *   `uri-template-automaton.ts`): check with `repeatedVariable` first.
 */
export function compileUriTemplate(template: UriTemplate): UriTemplateMatcher {
  const program = buildAutomaton(template);
  let scratch: Scratch | undefined;
  const run = (
    uri: string,
    logs: PositionLog[] | undefined,
    stats: { steps: number } | undefined,
  ): boolean => {
    scratch ??= newScratch(program);
    return simulate(program, scratch, uri, logs, stats);
  };
  return {
    template,
    states: program.size,
    match: (uri) => run(uri, undefined, undefined),
    matchWithValues(uri) {
      if (!run(uri, undefined, undefined)) return undefined;
      const logs: PositionLog[] = [];
      run(uri, logs, undefined);
      return witness(program, uri, logs);
    },
    measure(uri) {
      const stats = { steps: 0 };
      const matched = run(uri, undefined, stats);
      return { matched, steps: stats.steps };
    },
  };
}

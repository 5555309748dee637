/**
 * RFC 6570 templates as automata: the language of all expansions of a
 * template (`uri-template-expand.ts`), as a nondeterministic automaton that
 * `uri-template-match.ts` simulates over a URI.
 *
 * The automaton reads tokens: one code unit, a pct-encoded triplet `%HH` as
 * one step of three code units, or a whole literal. Its parts (Thompson
 * construction, built back to front):
 * - a literal: one state, compared exactly (a JUMP: see below);
 * - an expression: any subset of its variables in order ([spec] §3.2.1:
 *   undefined ones are skipped), `first` before the first defined one, `sep`
 *   between; built as a chain, O(variables) states;
 * - a variable: the shapes its values can take for the operator ([spec]
 *   Appendix A): string; list (`a,b` or exploded `a/b`, `;x=a;x=b`);
 *   associative array (`k,v`, exploded `k=v`, `;k=v`, `?k=v&j=w`); a list
 *   and an array are separate branches (an expansion never mixes them);
 *   named operators spell the varname exactly, with `ifemp` for empty values
 *   (`;x` but `?x=`);
 * - a value: a small machine (11 states) over the operator's allowed set.
 *   Simple, label, path, matrix and query operators allow unreserved
 *   characters raw, and pct-encoded triplets only for characters that are
 *   not unreserved, with uppercase hex and valid UTF-8 (what an encoder
 *   writes). `+` and `#` allow reserved characters too and pass any triplet
 *   through.
 *
 * The prefix modifier `{x:N}` counts characters before encoding, as the RFC
 * does: a raw character or one encoded character (1 to 4 triplets) is one,
 * a triplet passed through by `+`/`#` is three (`%2F` in the value). The
 * simulation carries the count with each value state. With `+`/`#` and a
 * prefix, `%25` may be a bare `%` of the value (one character) only when the
 * value does not go on with two hex digits (else the encoder would have
 * passed `%HH` through): two states (BP0, BP1) track that.
 *
 * Refused: a template naming one variable twice (`{x}/{x}`, `{/var:1,var}`),
 * although RFC 6570 allows it. One variable has one value, so an exact match
 * would have to compare the occurrences (a back-reference: NP-hard in
 * general), and matching them independently would over-match (`{x}/{x}`
 * covering `a/b`). {@link buildAutomaton} throws; the topic selector treats
 * such a template as malformed. Names are compared with pct-encoded hex
 * digits upper-cased (`{a%2f}` and `{a%2F}` are one variable).
 *
 * Size: O(template length) states: one per literal run, ~20 to ~45 per
 * varspec, plus the varname's literal for named operators.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6570
 *
 * Size: one construction per operator of RFC 6570 §3.2, side by side so
 * they can be read against the spec's table (Appendix A).
 *
 * Size: one construction per operator shape of RFC 6570 Appendix A, each
 * small, sharing the builder's state; the matcher that runs it is apart.
 */
import {
  OPERATORS,
  type OperatorSpec,
  type UriTemplate,
  type UriTemplateExpression,
  type VarSpec,
} from './uri-template-parse.js';

// Node kinds.
/** Consumes one code unit equal to `arg`, goes to `next`. */
export const LIT = 0;
/** Consumes nothing: goes to each ε-successor. */
const EPS = 1;
/** One state of a value machine (`arg` = machine index). */
export const VALUE = 2;
const ACCEPT = 3;
/**
 * Consumes the literal `literals[arg]` (two code units or more) in one step,
 * goes to `next`. A short literal is compared in place; where a long one
 * occurs is found once per URI (KMP, O(n)). Either way a literal is one
 * state, not one per code unit (with one state per code unit, a long
 * literal of repeated characters keeps all of them live at once).
 */
export const JUMP = 4;

// Value machine states (offsets from the machine's first node). START: no
// character yet; MID: between characters; BP0/BP1: after a bare "%" (and one
// raw hex digit); the rest: inside a UTF-8 sequence, naming the bytes still
// expected (RFC 3629 §4 table: E0 A0-BF, ED 80-9F, F0 90-BF, F4 80-8F).
export const START = 0;
export const MID = 1;
export const BP0 = 2;
export const BP1 = 3;
export const C1 = 4;
export const C2 = 5;
export const C3 = 6;
export const E0 = 7;
export const ED = 8;
export const F0 = 9;
export const F4 = 10;
const MACHINE_SIZE = 11;

/** What a value machine's text is, for witnesses. */
export const ROLE_STRING = 0;
const ROLE_ITEM = 1;
export const ROLE_KEY = 2;
const ROLE_VALUE = 3;

interface Machine {
  readonly base: number;
  readonly allowReserved: boolean;
  /** Prefix modifier, 0 when none (then no count is kept). */
  readonly max: number;
  readonly role: number;
}

/** Witness marks on ε-nodes: a variable starts; an empty piece of text. */
export type Mark = { readonly variable: number } | { readonly emptyRole: number };

/** A compiled automaton: nodes as parallel typed arrays (the simulation's hot data). */
export interface Program {
  /** Number of nodes (states). */
  readonly size: number;
  readonly kind: Uint8Array;
  readonly arg: Int32Array;
  readonly next: Int32Array;
  /** ε-successors of node i: epsList[epsStart[i] .. epsStart[i + 1]). */
  readonly epsStart: Int32Array;
  readonly epsList: Int32Array;
  /** VALUE nodes: the machine's first node, its prefix (0: none), reserved allowed (1), role. */
  readonly base: Int32Array;
  readonly max: Int32Array;
  readonly reserved: Uint8Array;
  readonly role: Uint8Array;
  /** JUMP literals, their lengths and KMP failure functions. */
  readonly literals: readonly string[];
  readonly literalLength: Int32Array;
  readonly failures: readonly Int32Array[];
  readonly marks: ReadonlyMap<number, Mark>;
  readonly variables: readonly string[];
  readonly start: number;
  readonly accept: number;
}

class Builder {
  readonly kind: number[] = [];
  readonly arg: number[] = [];
  readonly next: number[] = [];
  readonly eps: number[][] = [];
  readonly machines: Machine[] = [];
  readonly marks = new Map<number, Mark>();
  readonly variables: string[] = [];

  node(kind: number, arg = 0, next = -1, eps: number[] = []): number {
    this.kind.push(kind);
    this.arg.push(arg);
    this.next.push(next);
    this.eps.push(eps);
    return this.kind.length - 1;
  }

  split(...targets: number[]): number {
    return this.node(EPS, 0, -1, targets);
  }

  link(from: number, to: number): void {
    const eps = this.eps[from];
    if (eps === undefined) throw new RangeError(`no node ${from}`);
    eps.push(to);
  }

  readonly literals: string[] = [];

  /** A state reading `text` exactly, then `to`. */
  literal(text: string, to: number): number {
    if (text === '') return to;
    if (text.length === 1) return this.node(LIT, text.charCodeAt(0), to);
    this.literals.push(text);
    return this.node(JUMP, this.literals.length - 1, to);
  }

  /** A piece of text with no characters (`;x`'s empty value), then `to`. */
  empty(role: number, to: number): number {
    const node = this.split(to);
    this.marks.set(node, { emptyRole: role });
    return node;
  }

  /**
   * A value machine: exits to `exit` after at least one character, to
   * `exitEmpty` when empty (-1: a value here may not be empty).
   */
  machine(op: OperatorSpec, max: number, role: number, exit: number, exitEmpty: number): number {
    const base = this.kind.length;
    const index = this.machines.length;
    this.machines.push({ base, allowReserved: op.allowReserved, max, role });
    for (let i = 0; i < MACHINE_SIZE; i++) this.node(VALUE, index);
    if (exitEmpty >= 0) this.link(base + START, exitEmpty);
    this.link(base + MID, exit);
    this.link(base + BP0, exit);
    this.link(base + BP1, exit);
    return base;
  }

  /** States for one defined variable, then `out`. Returns the entry (marked). */
  variable(op: OperatorSpec, spec: VarSpec, out: number): number {
    const { name, prefix, explode } = spec;
    const entry = this.split();
    this.marks.set(entry, { variable: this.variables.length });
    this.variables.push(name);
    // [spec] §2.4.1: a prefix applies to strings only (see the expander).
    if (prefix > 0) {
      if (!op.named) {
        this.link(entry, this.machine(op, prefix, ROLE_STRING, out, out));
      } else if (op.ifemp === '') {
        // `;x` (empty) or `;x=v` (v non-empty)
        const value = this.machine(op, prefix, ROLE_STRING, out, -1);
        const after = this.split(this.empty(ROLE_STRING, out), this.literal('=', value));
        this.link(entry, this.literal(name, after));
      } else {
        // `?x=v` / `&x=v`, v possibly empty
        const value = this.machine(op, prefix, ROLE_STRING, out, out);
        this.link(entry, this.literal(name + '=', value));
      }
      return entry;
    }
    if (!explode) {
      // A string, a list `a,b`, or an array `k,v,j,w` (a list's shape too).
      const join = this.split(out);
      const rest = this.machine(op, 0, ROLE_ITEM, join, join);
      const comma = this.literal(',', rest);
      this.link(join, comma);
      if (!op.named) {
        this.link(entry, rest);
      } else if (op.ifemp === '') {
        // [spec] `;x` when the value is empty, `;x=…` when not: the first item
        // may be empty only if a "," follows.
        const first = this.machine(op, 0, ROLE_ITEM, join, comma);
        const after = this.split(this.empty(ROLE_STRING, out), this.literal('=', first));
        this.link(entry, this.literal(name, after));
      } else {
        this.link(entry, this.literal(name + '=', rest));
      }
      return entry;
    }
    // Exploded: members joined by sep. A string is a one-member list.
    // A list and an associative array are two branches: they do not mix.
    const listJoin = this.split(out);
    let member: number;
    if (!op.named) {
      member = this.machine(op, 0, ROLE_ITEM, listJoin, listJoin);
    } else if (op.ifemp === '') {
      const value = this.machine(op, 0, ROLE_ITEM, listJoin, -1);
      const after = this.split(this.empty(ROLE_ITEM, listJoin), this.literal('=', value));
      member = this.literal(name, after);
    } else {
      member = this.literal(name + '=', this.machine(op, 0, ROLE_ITEM, listJoin, listJoin));
    }
    this.link(listJoin, this.literal(op.sep, member));
    this.link(entry, member);
    // Associative array: `k=v` (unnamed: always "="), `;k` / `;k=v`, `?k=` / `?k=v`.
    const pairJoin = this.split(out);
    let afterKey: number;
    if (op.named && op.ifemp === '') {
      const value = this.machine(op, 0, ROLE_VALUE, pairJoin, -1);
      afterKey = this.split(this.empty(ROLE_VALUE, pairJoin), this.literal('=', value));
    } else {
      afterKey = this.literal('=', this.machine(op, 0, ROLE_VALUE, pairJoin, pairJoin));
    }
    const key = this.machine(op, 0, ROLE_KEY, afterKey, -1);
    this.link(pairJoin, this.literal(op.sep, key));
    this.link(entry, key);
    return entry;
  }

  /** [spec] §3.2.1: any subset of the variables, in order; `first`, then `sep`. */
  expression(expression: UriTemplateExpression, out: number): number {
    const op = OPERATORS[expression.operator];
    // none[i]: no variable defined before i; some[i]: at least one was.
    let none = out;
    let some = out;
    for (const spec of [...expression.varspecs].reverse()) {
      const entry = this.variable(op, spec, some);
      none = this.split(none, this.literal(op.first, entry));
      some = this.split(some, this.literal(op.sep, entry));
    }
    return none;
  }

  build(template: UriTemplate): Program {
    const accept = this.node(ACCEPT);
    let at = accept;
    for (const part of [...template.parts].reverse()) {
      at = typeof part === 'string' ? this.literal(part, at) : this.expression(part, at);
    }
    const size = this.kind.length;
    const epsStart = new Int32Array(size + 1);
    this.eps.forEach((eps, i) => {
      epsStart[i + 1] = (epsStart[i] ?? 0) + eps.length;
    });
    const base = new Int32Array(size);
    const max = new Int32Array(size);
    const reserved = new Uint8Array(size);
    const role = new Uint8Array(size);
    for (const m of this.machines) {
      for (let s = m.base; s < m.base + MACHINE_SIZE; s++) {
        base[s] = m.base;
        max[s] = m.max;
        reserved[s] = m.allowReserved ? 1 : 0;
        role[s] = m.role;
      }
    }
    return {
      size,
      kind: Uint8Array.from(this.kind),
      arg: Int32Array.from(this.arg),
      next: Int32Array.from(this.next),
      epsStart,
      epsList: Int32Array.from(this.eps.flat()),
      base,
      max,
      reserved,
      role,
      literals: this.literals,
      literalLength: Int32Array.from(this.literals, (literal) => literal.length),
      failures: this.literals.map(failureFunction),
      marks: this.marks,
      variables: this.variables,
      start: at,
      accept,
    };
  }
}

/** KMP failure function: longest proper border of each prefix of `text`. */
function failureFunction(text: string): Int32Array {
  const fail = new Int32Array(text.length);
  let k = 0;
  for (let i = 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    while (k > 0 && text.charCodeAt(k) !== c) k = fail[k - 1] ?? 0;
    if (text.charCodeAt(k) === c) k++;
    fail[i] = k;
  }
  return fail;
}

/** The varname with pct-encoded hex digits upper-cased (not the rest: names are case-sensitive). */
function canonicalName(name: string): string {
  if (!name.includes('%')) return name;
  let out = '';
  for (let i = 0; i < name.length; i++) {
    if (name.charCodeAt(i) === 0x25) {
      out += name.slice(i, i + 3).toUpperCase();
      i += 2;
    } else {
      out += name.charAt(i);
    }
  }
  return out;
}

/** The first variable `template` names twice, or undefined. */
export function repeatedVariable(template: UriTemplate): string | undefined {
  const seen = new Set<string>();
  for (const part of template.parts) {
    if (typeof part === 'string') continue;
    for (const { name } of part.varspecs) {
      const key = canonicalName(name);
      if (seen.has(key)) return name;
      seen.add(key);
    }
  }
  return undefined;
}

/**
 * Builds the automaton of `template`: O(template length) time and states.
 *
 * @throws {RangeError} when the template names a variable twice (see the
 *   file comment): check with {@link repeatedVariable} first.
 */
export function buildAutomaton(template: UriTemplate): Program {
  const repeated = repeatedVariable(template);
  if (repeated !== undefined) {
    throw new RangeError(`variable "${repeated}" appears twice: not matchable exactly`);
  }
  return new Builder().build(template);
}

/**
 * Reads the README's code blocks and the markers that say what each one is.
 *
 * The convention (HTML comments, invisible once rendered), each on its own
 * line right before a fenced block:
 *
 * - `<!-- snippet: NAME -->` before every `js`/`ts` block: a complete module,
 *   run by `snippets.test.ts` as the tour says (`node file.mjs`).
 * - `<!-- output: NAME -->` before a `text` block: what snippet NAME prints
 *   on stdout, all of it, line by line; `<!-- output: NAME (any order) -->`
 *   when its lines may come in any order.
 * - `<!-- response: NAME -->` before a `text` block: how the body of the
 *   response to the request the prose describes begins (snippet NAME starts
 *   the server and prints `listening on <url>`).
 *
 * In an expected text, `…` stands for any characters within one line.
 */

export interface Block {
  /** The fence's language (`js`, `ts`, `text`, `sh`…). */
  lang: string;
  /** The block's text, ending with a line feed. */
  code: string;
  /** The marker comment right before it, without `<!--`/`-->`, if any. */
  marker: string | undefined;
  /** 1-based line of the opening fence. */
  line: number;
}

/** Every fenced block of a Markdown text, with the marker before it. */
export function readBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i] ?? '');
    if (open === null) continue;
    let end = i + 1;
    while (end < lines.length && lines[end] !== '```') end++;
    if (end === lines.length) throw new Error(`README line ${i + 1}: unclosed code block`);
    let before = i - 1;
    while (before >= 0 && lines[before]?.trim() === '') before--;
    const comment = /^<!--\s*(.*?)\s*-->$/.exec(lines[before] ?? '');
    blocks.push({
      lang: open[1] ?? '',
      code: lines.slice(i + 1, end).join('\n') + '\n',
      marker: comment?.[1],
      line: i + 1,
    });
    i = end;
  }
  return blocks;
}

export interface Snippet {
  name: string;
  lang: 'js' | 'ts';
  code: string;
  line: number;
  output?: { text: string; anyOrder: boolean } | undefined;
  response?: string | undefined;
}

/**
 * The README's snippets by name, with their stated output and response.
 * Throws on a `js`/`ts` block without a snippet marker (every block is
 * either run or listed as skipped, by name, with a reason), on a marker
 * naming no snippet, and on a name used twice.
 */
export function readSnippets(markdown: string): Map<string, Snippet> {
  const snippets = new Map<string, Snippet>();
  const blocks = readBlocks(markdown);
  for (const block of blocks) {
    if (block.lang !== 'js' && block.lang !== 'ts') continue;
    const name = /^snippet: ([\w-]+)$/.exec(block.marker ?? '')?.[1];
    if (name === undefined) {
      throw new Error(
        `README line ${block.line}: a ${block.lang} block without <!-- snippet: NAME -->`,
      );
    }
    if (snippets.has(name)) throw new Error(`README line ${block.line}: snippet ${name} twice`);
    snippets.set(name, { name, lang: block.lang, code: block.code, line: block.line });
  }
  for (const block of blocks) {
    const match = /^(output|response): ([\w-]+)( \(any order\))?$/.exec(block.marker ?? '');
    if (match === null) continue;
    const snippet = snippets.get(match[2] ?? '');
    if (snippet === undefined || block.lang !== 'text') {
      throw new Error(`README line ${block.line}: ${block.marker} names no snippet or is not text`);
    }
    if (match[1] === 'output')
      snippet.output = { text: block.code, anyOrder: match[3] !== undefined };
    else snippet.response = block.code;
  }
  return snippets;
}

/** A regular expression for an expected text: `…` is any run of characters in a line. */
export function pattern(expected: string): string {
  return expected
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^\\n]*');
}

/** Whether `actual` begins with what `expected` describes. */
export function startsLike(actual: string, expected: string): boolean {
  return new RegExp(`^${pattern(expected)}`).test(actual);
}

/**
 * Whether `actual` is exactly what `expected` describes; with `anyOrder`,
 * its lines are those of `expected` in some order (each expected line used
 * once).
 */
export function printsLike(actual: string, expected: string, anyOrder: boolean): boolean {
  if (!anyOrder) return new RegExp(`^${pattern(expected)}$`).test(actual);
  const wanted = expected.trimEnd().split('\n');
  const got = actual.trimEnd().split('\n');
  if (wanted.length !== got.length || !actual.endsWith('\n')) return false;
  for (const line of got) {
    const at = wanted.findIndex((w) => new RegExp(`^${pattern(w)}$`).test(line));
    if (at === -1) return false;
    wanted.splice(at, 1);
  }
  return true;
}

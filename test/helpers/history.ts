/**
 * Reads a transport's whole history after an id (or `earliest`) through its
 * paged API, in small pages so that paging itself is exercised.
 */
import type { Transport, Update } from '../../src/hub/types.js';

export async function readHistory(
  t: Transport,
  after: string,
  limit = 3,
): Promise<{ found: boolean; updates: Update[]; ids: string[] }> {
  // Everything stored, whether or not the listener has seen it yet.
  const upTo = undefined;
  let page = await t.history({
    after: after === 'earliest' ? 'earliest' : { id: after },
    upTo,
    limit,
    maxBytes: Number.MAX_SAFE_INTEGER,
  });
  if (!page.found) return { found: false, updates: [], ids: [] };
  const updates = [...page.updates];
  for (let pages = 0; page.next !== undefined; pages++) {
    if (pages > 100_000) throw new Error('history paging does not end');
    page = await t.history({
      after: { position: page.next },
      upTo,
      limit,
      maxBytes: Number.MAX_SAFE_INTEGER,
    });
    if (!page.found) throw new Error('a page after a position given by the previous page was lost');
    updates.push(...page.updates);
  }
  return { found: true, updates, ids: updates.map((u) => u.id) };
}

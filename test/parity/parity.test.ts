/**
 * Parity: every row of the table (rows.ts) is sent to every entry point
 * (entry-points.ts); all must give the same outcome: same status (or the
 * same dropped connection), same headers that matter, same message, same
 * events. Each row also checks the expected status, so agreement on a wrong
 * answer fails too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEntryPoints, type EntryPoints } from './entry-points.js';
import { send, type Outcome } from './raw-client.js';
import { CLOSING_ROW, parityRows, SEED, type Row } from './rows.js';

let points: EntryPoints;

before(async () => {
  points = await startEntryPoints();
  for (const entry of points.all) for (const input of SEED) await entry.hub.publish(input);
});
after(async () => {
  await points.close();
});

function statusOf(outcome: Outcome): number | 'retry' {
  return outcome.kind === 'retry' ? 'retry' : outcome.status;
}

async function runRow(row: Row): Promise<void> {
  const entries = points.all.filter(
    (entry) => row.http1Only === undefined || entry.protocol !== 'h2',
  );
  for (const entry of entries) row.before?.(entry);
  const outcomes: [string, Outcome][] = [];
  try {
    for (const entry of entries) {
      const outcome = await send(
        entry,
        row.request,
        {
          events: row.events ?? 0,
          onOpen: async (opened) => {
            for (const input of row.publish ?? []) await opened.hub.publish(input);
          },
        },
        points.ca,
      );
      outcomes.push([entry.name, outcome]);
    }
  } finally {
    for (const entry of entries) row.after?.(entry);
  }
  const [firstName, first] = outcomes[0] as [string, Outcome];
  assert.equal(statusOf(first), row.expect, `${firstName}: ${JSON.stringify(first)}`);
  if (process.env.PARITY_DEBUG !== undefined) console.log(row.name, JSON.stringify(first));
  if (first.kind === 'response' && first.status === 200) {
    assert.equal(first.events?.length, row.events ?? 0, `${firstName}: events`);
  }
  for (const [name, outcome] of outcomes.slice(1)) {
    if (row.statusOnly === true) assert.equal(statusOf(outcome), statusOf(first), name);
    else assert.deepEqual(outcome, first, `${name} differs from ${firstName}`);
  }
}

void describe('parity: one answer per request, whatever the entry point', async () => {
  const rows = await parityRows();
  void it(`has at least 30 rows and 8 entry points`, () => {
    assert.ok(rows.length + 1 >= 30, `${rows.length + 1} rows`);
    assert.equal(points.all.length, 8);
  });
  for (const row of rows) {
    void it(row.name, () => runRow(row));
  }
  void it(CLOSING_ROW.name, () => runRow(CLOSING_ROW));
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CALLS } from './calls';
import { compatibilityTable, TABLE_END, TABLE_START, verdict } from './compatibility';
import { SDK_VERSIONS } from './sdk-versions';

/**
 * The compatibility table cannot drift from the tier: every call has a verdict for every SDK
 * version, a "supported" verdict has replay cases (the replay spec runs them), and the table in
 * docs/airflow-compatibility.md is the one rendered from the catalogue.
 */
/** Markdown as Prettier may pad it: cells trimmed, rule cells reduced to `---`, blank lines dropped. */
function normalized(markdown: string): string[] {
  return markdown
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) =>
      line.startsWith('|')
        ? line
            .split('|')
            .map((cell) => cell.trim().replace(/^-+$/, '---'))
            .join('|')
        : line,
    );
}

describe('docs/airflow-compatibility.md and the conformance catalogue', () => {
  it('covers the 53 client calls of the conformance map, numbered 1-53 once each', () => {
    expect(CALLS.map((c) => c.n)).toEqual(Array.from({ length: 53 }, (_, i) => i + 1));
  });

  it.each(CALLS.map((c) => [`#${c.n} ${c.method}`, c] as const))('%s has a verdict for every SDK version, and case names are unique', (_name, call) => {
    for (const version of SDK_VERSIONS) {
      const v = verdict(call, version);
      expect({ version: version.sdk, verdict: v?.kind }).toEqual({ version: version.sdk, verdict: expect.any(String) });
      if (v?.kind === 'supported') expect(v.cases).toBeGreaterThan(0);
    }
    const names = (call.cases ?? []).map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    // A call the service does not serve has no cases; a call with a `since` later than every version has no cases.
    if (call.notImplemented) expect(call.cases ?? []).toEqual([]);
  });

  it('the table in the doc is the rendered catalogue (regenerate: print compatibilityTable() and paste between the markers)', () => {
    const doc = readFileSync(join(__dirname, '../../docs/airflow-compatibility.md'), 'utf8');
    const start = doc.indexOf(TABLE_START);
    const end = doc.indexOf(TABLE_END);
    expect(start).toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(start);
    expect(normalized(doc.slice(start + TABLE_START.length, end))).toEqual(normalized(compatibilityTable()));
  });
});

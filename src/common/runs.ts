/** Row (or column) numbers as runs of consecutive ones, [first, last] each, in order; a number given twice counts once. */
export function rowRuns(rows: readonly number[]): [number, number][] {
  const sorted = [...new Set(rows)].sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (const n of sorted) {
    const last = runs[runs.length - 1];
    if (last !== undefined && n === last[1] + 1) last[1] = n;
    else runs.push([n, n]);
  }
  return runs;
}

/** The runs of `rowRuns` as text: `7`, `46–55` (`dash` between first and last). */
export function runLabels(rows: readonly number[], dash = '–'): string[] {
  return rowRuns(rows).map(([from, to]) => (from === to ? `${from}` : `${from}${dash}${to}`));
}

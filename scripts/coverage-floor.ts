// After `tap` in `npm test`: prints the coverage summary tap wrote, names the least covered files,
// and fails when total line or branch coverage falls below the floor in coverage-floor.json. The
// floor is what was measured when coverage was switched on; raise it when coverage rises, so it
// can only go up.

import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Metric {
  readonly total: number;
  readonly covered: number;
  readonly pct: number;
}
type Summary = Record<string, { readonly lines: Metric; readonly branches: Metric }>;
interface Floor {
  readonly lines: number;
  readonly branches: number;
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const summaryFile = `${root}.tap/report/coverage-summary.json`;

let summary: Summary;
try {
  summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as Summary;
} catch (error) {
  process.stderr.write(`coverage: cannot read ${summaryFile} (did tap run with coverage?): ${String(error)}\n`);
  process.exit(1);
}
const floor = JSON.parse(readFileSync(`${root}coverage-floor.json`, 'utf8')) as Floor;
if (summary.total === undefined) {
  process.stderr.write(`coverage: ${summaryFile} has no total\n`);
  process.exit(1);
}

// Generated code (the schema's validator, written by npm run build) is not judged: its branches
// are ajv's, and they would outweigh the code written here.
const files = Object.entries(summary)
  // Nor is built output (the CLI bundle's chunks, dist/): the floor judges the sources.
  .filter(([name]) => name !== 'total' && !name.endsWith('.generated.ts') && !relative(root, name).startsWith('dist/'))
  .map(([name, m]) => ({ name: relative(root, name), lines: m.lines, branches: m.branches }))
  .sort((a, b) => a.lines.pct - b.lines.pct || b.lines.total - a.lines.total);

/** The files' metric added up, its percentage rounded as istanbul rounds it (two decimals). */
function sum(metric: 'lines' | 'branches'): Metric {
  const covered = files.reduce((n, f) => n + f[metric].covered, 0);
  const total = files.reduce((n, f) => n + f[metric].total, 0);
  return { covered, total, pct: total === 0 ? 100 : Math.floor((covered / total) * 10000) / 100 };
}
const total = { lines: sum('lines'), branches: sum('branches') };

const out: string[] = [
  `coverage: lines ${total.lines.pct}% (${total.lines.covered}/${total.lines.total}), ` +
    `branches ${total.branches.pct}% (${total.branches.covered}/${total.branches.total}) ` +
    `over ${files.length} files; floor: lines ${floor.lines}%, branches ${floor.branches}%`,
  'least covered files (lines, branches):',
  ...files
    .slice(0, 10)
    .map((f) => `  ${f.lines.pct.toFixed(1).padStart(5)}%  ${f.branches.pct.toFixed(1).padStart(5)}%  ${f.name}`),
];
process.stdout.write(`${out.join('\n')}\n`);

const below = (['lines', 'branches'] as const).filter((k) => total[k].pct < floor[k]);
if (below.length > 0) {
  process.stderr.write(
    `coverage fell below the floor: ${below.map((k) => `${k} ${total[k].pct}% < ${floor[k]}%`).join(', ')}\n`,
  );
  process.exit(1);
}

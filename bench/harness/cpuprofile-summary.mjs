#!/usr/bin/env node
// Summarises a V8 .cpuprofile (node --cpu-prof): where the main thread's time went, by function
// (self time, and total time including callees; recursion counted once), plus "(idle)", "(program)"
// and "(garbage collector)". For finding where the harness spends its time per scenario.
//
// Usage: node bench/harness/cpuprofile-summary.mjs FILE.cpuprofile [--top N] [--per N-SCENARIOS]
//                                                   [--match REGEX]   (only functions whose name or file match)

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '40' }, per: { type: 'string' }, match: { type: 'string' } },
});
if (positionals.length !== 1) {
  process.stderr.write('usage: node cpuprofile-summary.mjs FILE.cpuprofile [--top N] [--per N] [--match REGEX]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(positionals[0], 'utf8'));
const top = Number(values.top);
const per = values.per === undefined ? undefined : Number(values.per);
const match = values.match === undefined ? undefined : new RegExp(values.match);

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const shortUrl = (url) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, 'node_modules/')
    .replace(/^.*\/dist\//, 'dist/');
const keyOf = (n) => {
  const f = n.callFrame;
  const name = f.functionName || '(anonymous)';
  return f.url ? `${name}  ${shortUrl(f.url)}:${f.lineNumber + 1}` : name;
};

// Time per sample: timeDeltas[i] is the time before sample i; attribute the next delta to it.
const self = new Map();
const total = new Map();
let all = 0;
const { samples, timeDeltas } = profile;
for (let i = 0; i < samples.length; i++) {
  const dt = (timeDeltas[i + 1] ?? 0) / 1000; // ms
  all += dt;
  let node = byId.get(samples[i]);
  const k = keyOf(node);
  self.set(k, (self.get(k) ?? 0) + dt);
  const seen = new Set();
  for (let id = samples[i]; id !== undefined; id = parent.get(id)) {
    const key = keyOf(byId.get(id));
    if (seen.has(key)) continue;
    seen.add(key);
    total.set(key, (total.get(key) ?? 0) + dt);
  }
}

const idle = self.get('(idle)') ?? 0;
const fmt = (ms) =>
  `${ms.toFixed(0).padStart(7)} ms${per ? ` ${(ms / per).toFixed(3).padStart(7)} ms/sc` : ''} ${((100 * ms) / all).toFixed(1).padStart(5)}%`;
console.log(
  `profile: ${all.toFixed(0)} ms sampled, ${idle.toFixed(0)} ms idle, ${(all - idle).toFixed(0)} ms busy${per ? ` (${per} scenarios)` : ''}`,
);
const show = (title, map) => {
  console.log(`\n${title}`);
  [...map.entries()]
    .filter(([k]) => !match || match.test(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .forEach(([k, ms]) => console.log(`${fmt(ms)}  ${k}`));
};
show('self time', self);
show('total time (self + callees)', total);

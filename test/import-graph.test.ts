// No import circles in harness/: a module in a circle cannot be understood, tested or loaded on its
// own. The graph is TypeScript's own: every import, export-from and dynamic import of every
// harness module (type-only ones included), resolved as tsc resolves them (tsconfig.json).
// A circle fails the test and is printed, module by module.

import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import ts from 'typescript';
import { REPO_ROOT } from './helpers/cli.js';

const HARNESS = join(REPO_ROOT, 'harness');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return tsFiles(path);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
    })
    .sort();
}

/** Module -> the harness modules it imports, as tsc resolves them. */
function importGraph(root: string): Map<string, string[]> {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(REPO_ROOT, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error('cannot read tsconfig.json');
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(root)) {
    const info = ts.preProcessFile(ts.sys.readFile(file)!, true, true);
    const targets = new Set<string>();
    for (const imported of info.importedFiles) {
      const resolved = ts.resolveModuleName(imported.fileName, file, config.options, ts.sys).resolvedModule;
      if (resolved && !resolved.isExternalLibraryImport && resolved.resolvedFileName.startsWith(`${root}/`))
        targets.add(resolved.resolvedFileName);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** One circle per strongly connected component: its first module (sorted), the modules it goes through, back to the first. */
function circles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan's strongly connected components; a component of more than one module, or a module
  // importing itself, holds a circle. Then one shortest circle through its first module.
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) components.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);

  return components.map((component) => {
    // Breadth-first inside the component, from its first module to one that imports it back.
    const inside = new Set(component);
    const start = component[0]!;
    const parent = new Map<string, string>();
    const seen = new Set([start]);
    const queue = [start];
    let last: string | undefined;
    while (queue.length > 0) {
      const node = queue.shift()!;
      if ((graph.get(node) ?? []).includes(start)) {
        last = node;
        break;
      }
      for (const to of graph.get(node) ?? []) {
        if (!inside.has(to) || seen.has(to)) continue;
        seen.add(to);
        parent.set(to, node);
        queue.push(to);
      }
    }
    const path: string[] = [];
    for (let node = last; node !== undefined; node = parent.get(node)) path.unshift(node);
    return [...path, start];
  });
}

t.test('the harness import graph has no circle', async (t) => {
  const graph = importGraph(HARNESS);
  t.ok(graph.size > 100, `the graph covers harness/ (${graph.size} modules)`);
  const edges = [...graph.values()].reduce((sum, targets) => sum + targets.length, 0);
  t.ok(edges > graph.size, `and its imports (${edges})`);
  const found = circles(graph).map((circle) => circle.map((file) => relative(REPO_ROOT, file)).join(' -> '));
  t.strictSame(found, [], found.length === 0 ? 'no circle' : `import circles:\n${found.join('\n')}`);
});

t.test('a circle is found and printed', async (t) => {
  const graph = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a', 'd']],
    ['d', []],
    ['e', ['e']],
  ]);
  t.strictSame(circles(graph), [
    ['a', 'b', 'c', 'a'],
    ['e', 'e'],
  ]);
});

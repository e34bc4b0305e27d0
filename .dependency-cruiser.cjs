// The architecture's rules, checked by dependency-cruiser (npm run lint:deps). Imports point down:
//   text <- ganeti <- attach <- provider <- scenario <- backend <- (simulate, real, ganeti-bridge) <- run <- report
//     <- (conformance, record, build) <- explore <- commands <- cli
// The backends (simulate, real) implement the interface in backend/, the only part of them the
// runner imports: the commands hand the runner the implementations (backends.ts). The reporters
// read the runner's results and the runner never imports a reporter back; the providers' runtime
// stands alone. .dependency-cruiser-known-violations.json lists tolerated violations: none.

/** Forbids imports from a harness layer to the layers above it. */
const layer = (name, above) => ({
  name: `layers-${name}`,
  comment: `harness/${name} is below ${above.join(', ')}: it must not import them`,
  severity: 'error',
  from: { path: `^harness/${name}/` },
  to: { path: `^harness/(${above.join('|')})(/|\\.ts$)` },
});

const ABOVE_RUN = [
  'run',
  'report',
  'conformance',
  'explore',
  'record',
  'build',
  'commands',
  'backends',
  'cli',
  'cli.ts',
  'index.ts',
];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import circle: the modules cannot be understood, tested or loaded one at a time',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-orphans',
      comment: 'a module nothing imports and no entry point names is dead code',
      severity: 'error',
      from: {
        orphan: true,
        pathNot: [
          '\\.d\\.ts$',
          '(^|/)tsconfig\\.json$',
          // Entry points: the CLI, the library, the executables the harness writes, the scripts.
          '^harness/(cli|index)\\.ts$',
          '^harness/(record/spy-main|real/passthrough-main|simulate/server-main)\\.ts$',
          '^e2e/main\\.ts$',
          '^scripts/',
          '^providers/[^/]+/(main|create|attach|detach|remove|grow|setinfo|verify|snapshot|open|close)\\.ts$',
        ],
      },
      to: {},
    },
    {
      name: 'layers-text',
      comment: 'harness/text (display helpers) is the bottom layer: it imports nothing of the harness',
      severity: 'error',
      from: { path: '^harness/text/' },
      to: { path: '^harness/(?!text/)' },
    },
    layer('ganeti', ['attach', 'provider', 'scenario', 'backend', 'simulate', 'real', 'ganeti-bridge', ...ABOVE_RUN]),
    layer('attach', ['provider', 'scenario', 'backend', 'simulate', 'real', 'ganeti-bridge', ...ABOVE_RUN]),
    layer('provider', ['scenario', 'backend', 'simulate', 'real', 'ganeti-bridge', ...ABOVE_RUN]),
    layer('scenario', ['backend', 'simulate', 'real', 'ganeti-bridge', ...ABOVE_RUN]),
    layer('backend', ['simulate', 'real', 'ganeti-bridge', ...ABOVE_RUN]),
    // Ganeti's own code as a way to run a script (--through-ganeti): beside the backends, below the runner.
    layer('ganeti-bridge', ['scenario', 'backend', 'simulate', 'real', ...ABOVE_RUN]),
    // The backends never know the runner; the real one reports its state in the simulator's shape.
    layer('simulate', ['real', ...ABOVE_RUN]),
    layer('real', ABOVE_RUN),
    // The runner reaches the backends through backend/ only.
    layer(
      'run',
      ['simulate', 'real', ...ABOVE_RUN].filter((l) => l !== 'run'),
    ),
    layer(
      'report',
      ABOVE_RUN.filter((l) => l !== 'run' && l !== 'report'),
    ),
    layer('conformance', ['explore', 'record', 'commands', 'cli', 'cli.ts', 'index.ts']),
    layer('record', ['conformance', 'explore', 'commands', 'cli', 'cli.ts', 'index.ts']),
    layer('build', ['explore', 'commands', 'cli', 'cli.ts', 'index.ts']),
    // The explorer plays plans through the runner and judges them; the verdict gets its check from `test`.
    layer('explore', ['commands', 'cli', 'cli.ts', 'index.ts']),
    layer('commands', ['cli.ts', 'index.ts']),
    {
      name: 'providers-stand-alone',
      comment: 'a deployed provider runs with only nodejs: nothing from the harness may be bundled into it',
      severity: 'error',
      from: { path: '^providers/' },
      to: { path: '^(harness|e2e|bench|test|scripts)/' },
    },
    {
      name: 'harness-not-to-tests',
      comment: 'the published harness must not depend on the tests, the e2e run, the benchmarks or the scripts',
      severity: 'error',
      from: { path: '^harness/' },
      to: { path: '^(e2e|bench|test|scripts)/' },
    },
    {
      name: 'not-to-dev-dependencies',
      comment: 'the harness and providers run without devDependencies installed',
      severity: 'error',
      from: { path: '^(harness|providers)/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules|coverage|\\.tap)/|^test/fixtures/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: {
      dot: {
        collapsePattern: '^(harness/[^/]+|providers/[^/]+|e2e/[^/]+|node_modules/(@[^/]+/)?[^/]+)',
      },
    },
  },
};

// Imported first by every benchmark: variables that change what each Node process does at
// start-up are removed from this process's environment, so every node it starts (the CLI, `node -e
// 0`, the providers run directly) starts as on a plain machine. NODE_EXTRA_CA_CERTS alone, set on
// some hosts for their TLS proxy, makes each node read and parse a certificate bundle: `node -e 0`
// took 109 ms with it and 30 ms without on the 2-core machine, which made every ratio to it look
// better than it is. The kit never passes these on to provider scripts (their environment is
// built from scratch, as Ganeti's), so leaving them out measures the kit as its users run it.

const START_UP_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS', 'NODE_REPL_EXTERNAL_MODULE'];

const removed = START_UP_VARIABLES.filter((name) => process.env[name] !== undefined);
for (const name of removed) delete process.env[name];
if (removed.length > 0)
  process.stderr.write(`bench: left out of every process this benchmark starts: ${removed.join(', ')}\n`);

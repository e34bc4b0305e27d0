// A simulators' server in a process of its own, for callers that block while a simulated command
// runs (spawnSync in tests, the docs' and drift checks' shells): installSimulators starts it. It
// ends when its parent does (its stdin closes) or when the sandbox's state folder is removed.

import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { CommandServer } from '../backend/command-server.js';
import { answerSimulated, type ServedSimulator } from './answer.js';

const served = JSON.parse(process.argv[2] ?? '[]') as ServedSimulator[];
try {
  for (const { config, requestFifo, callsDir } of served)
    CommandServer.start(requestFifo, callsDir, (call) => answerSimulated(config, call), true);
} catch (error) {
  // The sandbox was removed before this process started: nobody can call.
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') process.exit(0);
  throw error;
}
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
setInterval(() => {
  if (!served.every(({ requestFifo }) => existsSync(dirname(requestFifo)))) process.exit(0);
}, 1000);

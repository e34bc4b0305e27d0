// Every other documented command runs, with the exit status a reader should expect.
// How and where they run: test/helpers/doc-world.ts.

import t from 'tap';
import { isTestCommand, runDocumentedCommands } from './helpers/doc-world.js';

// Dozens of real runs, one after another: more than tap's default time for a file.
t.setTimeout(900_000);

t.test('each of these documented commands runs, with the exit status it should have', async (t) => {
  runDocumentedCommands(t, (command) => !isTestCommand(command));
});

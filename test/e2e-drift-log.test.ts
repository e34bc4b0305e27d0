// The rbd drift stage (e2e/drift/rbd.ts) compares rbd's stderr with the simulator's, with librbd's
// log lines taken out wherever Ceph's log thread put them: these are outputs real rbd wrote in CI.

import t from 'tap';
import { separateLog } from '../e2e/drift/rbd.js';

t.test('a log line inside one of rbd own lines, and its blank line after', async (t) => {
  const real =
    "\rRemoving snap<time> <thread> -1 librbd::Operations: snapshot is protected\n: \n0% complete...failed.\nrbd: snapshot 's1' is protected from removal.\n";
  const simulated =
    "\rRemoving snap: 0% complete...failed.\nrbd: snapshot 's1' is protected from removal.\n<time> <thread> -1 librbd::Operations: snapshot is protected\n\n";
  t.equal(separateLog(real), separateLog(simulated));
});

t.test('a log line glued to the end of rbd own message, blank lines after', async (t) => {
  const real = 'rbd: create error: (17) File exists<time> <thread> -1 librbd: rbd image drift-a already exists\n\n\n';
  const simulated =
    'rbd: create error: (17) File exists\n<time> <thread> -1 librbd: rbd image drift-a already exists\n\n';
  t.equal(separateLog(real), separateLog(simulated));
});

t.test('the text itself still counts, and output without a log line is compared exactly', async (t) => {
  t.not(
    separateLog('rbd: create error: (17) File exists\n<time> <thread> -1 librbd: x\n'),
    separateLog('rbd: create error: (2) No such file\n<time> <thread> -1 librbd: x\n'),
  );
  t.not(separateLog('a\n<time> <thread> -1 librbd: x\n'), separateLog('a\n<time> <thread> -1 librbd: y\n'));
  t.equal(separateLog('rbd: error\n'), 'rbd: error\n');
});

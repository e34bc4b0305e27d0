// Notes an action prints on stderr while it goes on (a lock it waits for, a check turned off),
// each line prefixed like the runtime's error line: "<provider> <action>: ...".

let prefix = 'provider';

/** Set once by the runtime, before the action starts. */
export function setDiagnosticPrefix(provider: string, action: string): void {
  prefix = `${provider} ${action}`;
}

export function note(message: string): void {
  process.stderr.write(`${prefix}: ${message}\n`);
}

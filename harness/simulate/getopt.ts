// glibc's getopt_long (2.36, Debian 12) as util-linux programs use it: options and operands in any
// order (operands are gathered in order), "--" ends options, long options may be abbreviated to
// any unambiguous prefix and take values as "--opt=value" or "--opt value", short options may be
// grouped ("-fP") and take values stuck on ("-ofoo") or as the next argument. Errors are printed
// exactly as glibc prints them, and reported as '?'.

export interface LongOption {
  readonly name: string;
  readonly hasArg: 'no' | 'required' | 'optional';
  /** What getopt returns for it: the short option letter, or a number above 255. */
  readonly val: string | number;
}

export type OptionCode = string | number;

export interface Getopt {
  /** The next option, or null when there are no more; '?' after an error (already printed). */
  next(): { code: OptionCode; arg: string | undefined } | null;
  /** Operands (non-options) in order; complete once next() returned null. */
  readonly operands: string[];
}

/**
 * `shortopts` as for getopt ("ab:c:" — a colon after a letter means it takes a value).
 * `program` is argv[0] as glibc shows it in messages; `stderr` receives them.
 */
export function getoptLong(
  args: readonly string[],
  shortopts: string,
  longopts: readonly LongOption[],
  program: string,
  stderr: (text: string) => void,
): Getopt {
  const operands: string[] = [];
  let index = 0;
  let cluster = ''; // the rest of a group of short options being read

  const takesArg = (letter: string): boolean | undefined => {
    const at = shortopts.indexOf(letter);
    if (at < 0 || letter === ':') return undefined;
    return shortopts[at + 1] === ':';
  };

  const next = (): { code: OptionCode; arg: string | undefined } | null => {
    if (cluster !== '') {
      const letter = cluster[0]!;
      cluster = cluster.slice(1);
      const wants = takesArg(letter);
      if (wants === undefined) {
        stderr(`${program}: invalid option -- '${letter}'\n`);
        return { code: '?', arg: undefined };
      }
      if (!wants) return { code: letter, arg: undefined };
      if (cluster !== '') {
        const value = cluster;
        cluster = '';
        return { code: letter, arg: value };
      }
      if (index < args.length) return { code: letter, arg: args[index++]! };
      stderr(`${program}: option requires an argument -- '${letter}'\n`);
      return { code: '?', arg: undefined };
    }
    while (index < args.length) {
      const arg = args[index]!;
      if (arg === '--') {
        operands.push(...args.slice(index + 1));
        index = args.length;
        return null;
      }
      if (arg.startsWith('--')) {
        index++;
        const body = arg.slice(2);
        const eq = body.indexOf('=');
        const name = eq < 0 ? body : body.slice(0, eq);
        let found = longopts.find((o) => o.name === name);
        if (found === undefined) {
          const candidates = longopts.filter((o) => o.name.startsWith(name));
          const distinct = candidates.filter(
            (o, i) => candidates.findIndex((p) => p.hasArg === o.hasArg && p.val === o.val) === i,
          );
          if (distinct.length > 1) {
            stderr(
              `${program}: option '--${name}' is ambiguous; possibilities:${candidates.map((o) => ` '--${o.name}'`).join('')}\n`,
            );
            return { code: '?', arg: undefined };
          }
          found = candidates[0];
        }
        if (found === undefined) {
          stderr(`${program}: unrecognized option '--${body}'\n`);
          return { code: '?', arg: undefined };
        }
        if (eq >= 0) {
          if (found.hasArg === 'no') {
            stderr(`${program}: option '--${found.name}' doesn't allow an argument\n`);
            return { code: '?', arg: undefined };
          }
          return { code: found.val, arg: body.slice(eq + 1) };
        }
        if (found.hasArg === 'required') {
          if (index < args.length) return { code: found.val, arg: args[index++]! };
          stderr(`${program}: option '--${found.name}' requires an argument\n`);
          return { code: '?', arg: undefined };
        }
        return { code: found.val, arg: undefined };
      }
      if (arg.startsWith('-') && arg.length > 1) {
        index++;
        cluster = arg.slice(1);
        return next();
      }
      operands.push(arg);
      index++;
    }
    return null;
  };

  return { next, operands };
}

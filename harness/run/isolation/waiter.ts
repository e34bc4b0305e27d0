// The one shell script every sandboxed run goes through, inside the PID namespace, between the
// sandbox (bwrap or unshare) and the provider's script. Its text is constant: paths and the
// script's argv come as its arguments, never inside shell code.
//
// Why it exists: in a PID namespace every process dies when the namespace's first process exits,
// so a background process that still holds the script's stdout (Ganeti would wait for it forever)
// would be killed before the harness could see it. The waiter keeps the namespace alive after the
// script exits, tells the harness on fd 3 the exit status, which streams other processes still
// hold (it compares their open files with its own stdout and stderr, `test -ef`, no fork), and
// when none does, which processes are left; then it exits and the kernel kills them all.
//
// Arguments: mount operations (unshare level only; bwrap mounts by itself), "--", the working
// directory, the command and its arguments. Operations:
//   tmpfs DIR · mkdir DIR · bind SRC DST · robind SRC DST (read-only) · overlay SKELETON DIR
//   (a read-only overlay of SKELETON over DIR, to give DIR entries the host lacks) · symlink TARGET PATH ·
//   file PATH (an empty file) · pwd VALUE, oldpwd VALUE (PWD and OLDPWD as the script's environment
//   has them: the shell would set its own)
// A mount that fails is reported ("unmounted OP PATH") and the run goes on without it.
//
// Lines on fd 3: "unmounted OP PATH", "exit N" (N: $?, so a death by signal S reads 128+S),
// "held OE" (O, E: 1 when some process holds stdout, stderr), "closed", "left PID COMMAND".
// COMMAND is the process's command line. A process caught inside execve has an empty one for a
// moment, so it is read again 10 ms later; one that still has none (it blanked its argv) is named
// by its comm or its executable, in brackets as ps does. Zombies are dead already: not listed.

export const WAITER_SCRIPT = `status() { printf '%s\\n' "$*" >&3; }
while [ "$#" -gt 0 ]; do
  op=$1; shift
  case $op in
    --) break ;;
    tmpfs) mount -t tmpfs -o mode=0755 tmpfs "$1" 2>/dev/null || status "unmounted tmpfs $1"; shift ;;
    mkdir) mkdir -p "$1" 2>/dev/null || status "unmounted mkdir $1"; shift ;;
    bind) mount --bind "$1" "$2" 2>/dev/null || status "unmounted bind $2"; shift 2 ;;
    robind) { mount --bind "$1" "$2" && mount -o remount,bind,ro "$2"; } 2>/dev/null || status "unmounted robind $2"; shift 2 ;;
    overlay) mount -t overlay overlay -o "lowerdir=$1:$2" "$2" 2>/dev/null || status "unmounted overlay $2"; shift 2 ;;
    symlink) { mkdir -p "\${2%/*}" && ln -s "$1" "$2"; } 2>/dev/null || status "unmounted symlink $2"; shift 2 ;;
    pwd) pwd_set=1; pwd_value=$1; shift ;;
    oldpwd) oldpwd_set=1; oldpwd_value=$1; shift ;;
    file) { mkdir -p "\${1%/*}" && : > "$1"; } 2>/dev/null || status "unmounted file $1"; shift ;;
    *) status "unmounted unknown $op"; exit 127 ;;
  esac
done
cd "$1" || exit 127
shift
# The shell sets PWD and OLDPWD itself: the script gets them only if its environment had them.
unset PWD OLDPWD
if [ -n "$pwd_set" ]; then export PWD="$pwd_value"; fi
if [ -n "$oldpwd_set" ]; then export OLDPWD="$oldpwd_value"; fi
"$@" 3>&-
s=$?
status "exit $s"
held=
exec 5>&1 6>&2
while :; do
  o=0; e=0
  for p in /proc/[0-9]*; do
    case \${p#/proc/} in 1|$$) continue ;; esac
    for f in "$p"/fd/*; do
      if [ "$f" -ef /proc/$$/fd/5 ]; then o=1; fi
      if [ "$f" -ef /proc/$$/fd/6 ]; then e=1; fi
    done
  done
  if [ "$o$e" = 00 ]; then break; fi
  if [ -z "$held" ]; then held=1; status "held $o$e"; fi
  sleep 0.02
done
status closed
for p in /proc/[0-9]*; do
  case \${p#/proc/} in 1|$$) continue ;; esac
  {
    read -r st < "$p/stat" || continue
    case \${st##*') '} in Z*) continue ;; esac
    c=$(tr '\\000' ' ' < "$p/cmdline")
    case $c in *[![:space:]]*) ;; *) sleep 0.01; c=$(tr '\\000' ' ' < "$p/cmdline") ;; esac
    case $c in
      *[![:space:]]*) ;;
      *) c=; read -r c < "$p/comm"; [ -n "$c" ] || c=$(readlink "$p/exe"); c="[\${c:-unknown}]" ;;
    esac
    status "left \${p#/proc/} $c"
  } 2>/dev/null
done
exit $s
`;

/** What the waiter reported for one run. */
export interface WaiterReport {
  /** The script's exit status; undefined while it runs (or when it never ended). */
  exit?: number;
  /** Which streams other processes held when the script exited; undefined when none did. */
  held?: 'stdout' | 'stderr' | 'stdout and stderr';
  /** No other process holds stdout or stderr any more. */
  closed: boolean;
  /** Processes still in the namespace when the waiter ended it: the kernel killed them. */
  readonly left: { pid: number; command: string }[];
  /** Mounts the sandbox could not make. */
  readonly unmounted: string[];
}

/** Reads the waiter's lines as they come; `onChange` is called after each. */
export class WaiterReader {
  readonly report: WaiterReport = { closed: false, left: [], unmounted: [] };
  private pending = '';

  constructor(private readonly onChange: () => void) {}

  write(chunk: Buffer): void {
    this.pending += chunk.toString('utf8');
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      this.line(this.pending.slice(0, nl));
      this.pending = this.pending.slice(nl + 1);
    }
    this.onChange();
  }

  private line(text: string): void {
    const r = this.report;
    const [word = '', ...rest] = text.split(' ');
    if (word === 'exit') r.exit = Number(rest[0]);
    else if (word === 'held') r.held = rest[0] === '11' ? 'stdout and stderr' : rest[0] === '10' ? 'stdout' : 'stderr';
    else if (word === 'closed') r.closed = true;
    else if (word === 'left') {
      const command = rest.slice(1).join(' ').trim();
      if (command !== '') r.left.push({ pid: Number(rest[0]), command }); // empty: it was exiting
    } else if (word === 'unmounted') r.unmounted.push(rest.join(' '));
  }
}

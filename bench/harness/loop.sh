#!/usr/bin/env bash
# The baseline: the same N attach invocations and checks as the generated attach.yaml and
# attach.bats, as a plain sequential shell loop. Scenario i: VOL_NAME=vol<i>,
# VOL_UUID=00000000-0000-4000-8000-<i, 12 digits>, EXTP_POOL=bench, LC_ALL=C, on top of the
# caller's environment (as Ganeti does, spec/SPEC.md §3.2); no arguments, the provider
# directory as cwd, stdin at EOF. Checks: exit 0, first line /dev/bench/vol<i>, KVM URI bench:bench/vol<i> (the
# rest of the first line starting with "kvm:", case-insensitively).
#
# With --contained, each `./attach` runs as the harness contains a script run, in its minimal form:
# a bubblewrap sandbox of its own (the host read-only, a minimal /dev, a /proc and a PID namespace
# of its own, gone with the loop), so that the harness can be compared with a loop that pays for
# the same containment (the harness adds its waiter, the provider folder read-only, /var/log/ganeti
# and the lock folder).
#
# Usage: bash bench/harness/loop.sh PROVIDER-DIR [N=500] [--contained]
# Prints "N run, F failed"; exits 1 if any check failed.
set -u

provider=${1:?usage: loop.sh PROVIDER-DIR [N] [--contained]}
n=${2:-500}
cd "$provider" || exit 2
wrap=()
if [ "${3:-}" = --contained ]; then
  wrap=(bwrap --ro-bind / / --dev /dev --proc /proc --unshare-pid --die-with-parent --chdir "$PWD" --)
fi

failed=0
for ((i = 1; i <= n; i++)); do
  name=vol$i
  printf -v uuid '00000000-0000-4000-8000-%012d' "$i"
  out=$(LC_ALL=C VOL_NAME=$name VOL_UUID=$uuid EXTP_POOL=bench "${wrap[@]}" ./attach </dev/null)
  status=$?
  device=${out%%$'\n'*}
  kvm=
  while IFS= read -r line; do
    case $line in [kK][vV][mM]:*) kvm=${line#*:}; break ;; esac
  done <<<"$out"
  if [ "$status" -ne 0 ] || [ "$device" != "/dev/bench/$name" ] || [ "$kvm" != "bench:bench/$name" ]; then
    failed=$((failed + 1))
    printf 'FAIL %s: exit %s, device %q, kvm %q\n' "$name" "$status" "$device" "$kvm" >&2
  fi
done
printf '%d run, %d failed\n' "$n" "$failed"
[ "$failed" -eq 0 ]

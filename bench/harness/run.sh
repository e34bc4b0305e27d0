#!/usr/bin/env bash
# The harness benchmark (issue 3, item 8): in one go on this machine, N attach scenarios of a shell
# provider (bench/harness/provider) run
#   1. through the harness:  node dist/harness/cli.js run <provider> attach.yaml --json FILE
#      (default --jobs, the CPU count; and again with --jobs 1),
#   2. as a plain sequential shell loop making the same invocations and checks (loop.sh), and the
#      same loop with each run in a bubblewrap sandbox of its own (loop.sh --contained: what the
#      harness's per-run containment costs at its least; skipped where bwrap cannot run),
#   3. as a bats-core suite with the same checks (attach.bats, Debian's `bats`),
# each REPS times, interleaved; the median wall time of each is compared. Then:
#   harness/loop   goal: <= 1 (the harness no slower than the plain loop); and, for information,
#                  harness/contained loop
#   bats/harness   goal: >= 3
#   overhead       (harness --jobs 1 wall time - time in the provider's scripts) / N, goal: < 5 ms;
#                  script time = the sum of steps[].runs[].durationMs of the JSON report.
#   peak RSS       of the harness process in its main run (GNU time's %M), goal: < 200 MB (issue 14).
# Goals are reported, not asserted: the exit status is non-zero only if something failed to run
# (or a check failed, which would make the timings meaningless).
#
# Usage (from anywhere; needs `npm run build` done first):
#   bash bench/harness/run.sh
# Environment: BENCH_N (scenarios, default 500), BENCH_REPS (runs of each, default 3),
#   BENCH_JOBS (the harness's --jobs for the main run, default: its own default, the CPU count),
#   BENCH_KEEP=1 (keep the work directory with the generated files, logs and JSON reports).
set -euo pipefail
# As bench/clean-node-env.mjs: nothing that changes each node's start-up (see there why).
for v in NODE_EXTRA_CA_CERTS NODE_OPTIONS NODE_REPL_EXTERNAL_MODULE; do
  if [ -n "${!v+x}" ]; then echo "bench: left out of every process this benchmark starts: $v" >&2; unset "$v"; fi
done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
provider=$here/provider
cli=$repo/dist/harness/cli.js
n=${BENCH_N:-500}
reps=${BENCH_REPS:-3}
jobs=${BENCH_JOBS:-}

die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
note() { printf 'bench: %s\n' "$*" >&2; }

[[ $n =~ ^[1-9][0-9]*$ ]] || die "BENCH_N must be a positive integer, got '$n'"
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPS must be a positive integer, got '$reps'"
[[ -z $jobs || $jobs =~ ^[1-9][0-9]*$ ]] || die "BENCH_JOBS must be a positive integer, got '$jobs'"
command -v node >/dev/null || die "node is not on PATH (Node 20 or later is needed)"
[[ -f $cli ]] || die "$cli is missing: dist/ is not built. Run 'npm run build' in $repo first (this script builds nothing)."

# The contained loop needs bubblewrap working here (an unprivileged container has none): one
# scenario of it tells.
have_bwrap=0
if command -v bwrap >/dev/null && bash "$here/loop.sh" "$provider" 1 --contained >/dev/null 2>&1; then
  have_bwrap=1
else
  note "bubblewrap does not run here: skipping the contained loop"
fi

# bats: install Debian's package when missing and we are root; otherwise skip that part.
status=0
have_bats=1
if ! command -v bats >/dev/null; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    note "bats is missing: installing Debian's bats with apt-get"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bats; } >&2; then
      note "apt-get could not install bats: skipping the bats suite"
      have_bats=0
      status=1
    fi
  else
    note "bats is not installed and this is not root (or has no apt-get): skipping the bats suite (apt-get install bats to include it)"
    have_bats=0
  fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/extstorage-bench.XXXXXX")
if [[ ${BENCH_KEEP:-0} == 1 ]]; then
  note "keeping the work directory $work"
else
  trap 'rm -rf "$work"' EXIT
fi

node "$here/generate.mjs" "$work" "$provider" "$n" >/dev/null

# Every run uses one snapshot of the build, so an `npm run build` during the benchmark cannot mix
# two builds or break a run halfway: dist/, spec/ (the schema) and package.json are copied, and
# node_modules/ is linked, in the same layout as the repository.
snap=$work/build
mkdir -p "$snap"
cp -R "$repo/dist" "$repo/spec" "$repo/package.json" "$snap/"
ln -s "$repo/node_modules" "$snap/node_modules"
cli=$snap/dist/harness/cli.js
node "$cli" --version >/dev/null 2>&1 || die "the built CLI does not start: node dist/harness/cli.js --version failed (rebuild with 'npm run build')"

# Wall time of one command in ms (its output goes to a log); dies with the log's tail if it fails.
elapsed_ms=0
timed() {
  local log=$1
  shift
  local t0 t1 rc=0
  t0=$(date +%s%N)
  "$@" >"$log" 2>&1 || rc=$?
  t1=$(date +%s%N)
  elapsed_ms=$(((t1 - t0) / 1000000))
  if ((rc != 0)); then
    note "failed (exit $rc): $*"
    tail -n 20 "$log" >&2
    exit 1
  fi
}

# "passed failed sum-of-run-durations-ms" from a JSON report.
json_stats() {
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    let sum = 0;
    for (const s of r.results) for (const st of s.steps) for (const run of st.runs) sum += run.durationMs;
    console.log(r.passed, r.failed, Math.round(sum));
  ' "$1"
}

check_harness() {
  local stats passed failed
  stats=$(json_stats "$1")
  read -r passed failed _ <<<"$stats"
  [[ $passed == "$n" && $failed == 0 ]] || die "harness run: $passed passed, $failed failed of $n (see $1)"
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

jobs_args=()
[[ -n $jobs ]] && jobs_args=(--jobs "$jobs")
default_jobs=${jobs:-$(node -p 'require("os").availableParallelism()')}

# Other work on the machine skews every figure: the load averages before and after say how quiet it was.
load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')

loop_ms=() contained_ms=() harness_ms=() harness1_ms=() bats_ms=() script_ms=() script1_ms=() rss_kb=()
# The harness's peak resident memory, from GNU time (Debian's package `time`), when it is here.
rss_probe=()
[[ -x /usr/bin/time ]] && rss_probe=(/usr/bin/time -f '%M' -o)
note "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, node $(node --version), $( ((have_bats)) && bats --version || echo 'no bats'), load average $load_before"
awk -v l="${load_before%% *}" -v c="$(nproc)" 'BEGIN { exit !(l + 0 > c / 2) }' &&
  note "the machine is already busy (1-minute load ${load_before%% *} on $(nproc) CPUs): expect noisy figures"
note "$n scenarios, $reps runs of each, interleaved; harness with --jobs $default_jobs and --jobs 1"
for ((r = 1; r <= reps; r++)); do
  timed "$work/loop.$r.log" bash "$here/loop.sh" "$provider" "$n"
  grep -qx "$n run, 0 failed" "$work/loop.$r.log" || die "loop run $r: unexpected output (see $work/loop.$r.log)"
  loop_ms+=("$elapsed_ms")

  if ((have_bwrap)); then
    timed "$work/contained.$r.log" bash "$here/loop.sh" "$provider" "$n" --contained
    grep -qx "$n run, 0 failed" "$work/contained.$r.log" || die "contained loop run $r: unexpected output (see $work/contained.$r.log)"
    contained_ms+=("$elapsed_ms")
  fi

  probe=()
  ((${#rss_probe[@]} > 0)) && probe=("${rss_probe[@]}" "$work/harness.$r.rss")
  timed "$work/harness.$r.log" "${probe[@]}" node "$cli" run "$provider" "$work/attach.yaml" "${jobs_args[@]}" --json "$work/harness.$r.json"
  harness_ms+=("$elapsed_ms")
  ((${#rss_probe[@]} > 0)) && rss_kb+=("$(tail -n 1 "$work/harness.$r.rss")")
  check_harness "$work/harness.$r.json"
  script_ms+=("$(json_stats "$work/harness.$r.json" | cut -d' ' -f3)")

  timed "$work/harness1.$r.log" node "$cli" run "$provider" "$work/attach.yaml" --jobs 1 --json "$work/harness1.$r.json"
  harness1_ms+=("$elapsed_ms")
  check_harness "$work/harness1.$r.json"
  script1_ms+=("$(json_stats "$work/harness1.$r.json" | cut -d' ' -f3)")

  if ((have_bats)); then
    timed "$work/bats.$r.log" bats --tap "$work/attach.bats"
    grep -q "^not ok" "$work/bats.$r.log" && die "bats run $r: a test failed (see $work/bats.$r.log)"
    [[ $(grep -c "^ok " "$work/bats.$r.log") == "$n" ]] || die "bats run $r: not $n tests passed (see $work/bats.$r.log)"
    bats_ms+=("$elapsed_ms")
  fi
  note "run $r/$reps: loop ${loop_ms[-1]} ms$( ((have_bwrap)) && printf ', contained loop %s ms' "${contained_ms[-1]}"), harness ${harness_ms[-1]} ms, harness --jobs 1 ${harness1_ms[-1]} ms$( ((have_bats)) && printf ', bats %s ms' "${bats_ms[-1]}")"
done

loop=$(median "${loop_ms[@]}")
contained=
((have_bwrap)) && contained=$(median "${contained_ms[@]}")
harness=$(median "${harness_ms[@]}")
harness1=$(median "${harness1_ms[@]}")
scripts=$(median "${script_ms[@]}")
scripts1=$(median "${script1_ms[@]}")
bats=
((have_bats)) && bats=$(median "${bats_ms[@]}")
load_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
rss=$( ((${#rss_kb[@]} > 0)) && printf '%s\n' "${rss_kb[@]}" | sort -n | tail -n 1 || echo '')

# Everything below is arithmetic on the medians; awk does the floating point.
awk -v n="$n" -v reps="$reps" -v jobs="$default_jobs" -v loop="$loop" -v contained="$contained" -v containeds="${contained_ms[*]:-}" \
  -v harness="$harness" -v harness1="$harness1" \
  -v scripts="$scripts" -v scripts1="$scripts1" -v bats="$bats" -v rss="$rss" \
  -v load_before="$load_before" -v load_after="$load_after" \
  -v loops="${loop_ms[*]}" -v harnesses="${harness_ms[*]}" -v harnesses1="${harness1_ms[*]}" -v batses="${bats_ms[*]:-}" '
  function goal(ok) { return ok ? "met" : "MISSED" }
  BEGIN {
    printf "\n%d attach scenarios, median of %d runs (all runs, ms)\n\n", n, reps
    printf "  %-28s %10s %10s   %s\n", "", "wall ms", "ms/scen.", "runs"
    printf "  %-28s %10d %10.2f   %s\n", "plain shell loop", loop, loop / n, loops
    if (contained != "") printf "  %-28s %10d %10.2f   %s\n", "loop, bwrap per run", contained, contained / n, containeds
    else printf "  %-28s %10s\n", "loop, bwrap per run", "skipped"
    printf "  %-28s %10d %10.2f   %s\n", "harness (--jobs " jobs ")", harness, harness / n, harnesses
    printf "  %-28s %10d %10.2f   %s\n", "harness (--jobs 1)", harness1, harness1 / n, harnesses1
    if (bats != "") printf "  %-28s %10d %10.2f   %s\n", "bats", bats, bats / n, batses
    else printf "  %-28s %10s\n", "bats", "skipped"
    printf "\n"
    printf "  %-44s %8.2f   goal <= 1   %s\n", "harness/loop (--jobs " jobs ")", harness / loop, goal(harness <= loop)
    printf "  %-44s %8.2f   goal <= 1   %s\n", "harness/loop (--jobs 1)", harness1 / loop, goal(harness1 <= loop)
    if (contained != "") {
      printf "  %-44s %8.2f   (info)\n", "harness/loop with bwrap per run (--jobs " jobs ")", harness / contained
      printf "  %-44s %8.2f   (info)\n", "harness/loop with bwrap per run (--jobs 1)", harness1 / contained
    }
    if (bats != "") {
      printf "  %-44s %8.2f   goal >= 3   %s\n", "bats/harness (--jobs " jobs ")", bats / harness, goal(bats >= 3 * harness)
      printf "  %-44s %8.2f   goal >= 3   %s\n", "bats/harness (--jobs 1)", bats / harness1, goal(bats >= 3 * harness1)
    } else {
      printf "  %-44s %8s\n", "bats/harness", "skipped"
    }
    over = (harness1 - scripts1) / n
    printf "  %-44s %8.2f   goal < 5    %s\n", "overhead ms/scenario (--jobs 1, JSON runs)", over, goal(over < 5)
    printf "  %-44s %8.2f   (info)\n", "overhead ms/scenario (--jobs 1, vs loop)", (harness1 - loop) / n
    if (rss != "") printf "  %-44s %8.1f   goal < 200  %s\n", "peak RSS of the harness, MB (--jobs " jobs ")", rss / 1024, goal(rss / 1024 < 200)
    else printf "  %-44s %8s\n", "peak RSS of the harness", "not measured (no /usr/bin/time)"
    printf "\n  script time from the JSON reports (sum of runs[].durationMs): %d ms with --jobs 1, %d ms with --jobs %d\n", scripts1, scripts, jobs
    printf "  load average (1, 5, 15 min) before: %s, after: %s\n", load_before, load_after
  }'
exit "$status"

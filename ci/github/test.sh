#!/usr/bin/env bash
# The extstorage-kit action's second step: `extstorage-kit test` (input backend: the conformance
# suite) and/or `extstorage-kit run` (input scenarios: the author's scenario files), as the inputs
# say (ESK_* variables, set by action.yml). Writes the JUnit reports, the step outputs (their
# absolute paths) and the job summary; the kit writes the annotations itself (GITHUB_ACTIONS=true).
# Exit status: 0 when every command passed, else the highest one's (1 a failure, 2 a usage or file
# error), after all of them ran.
set -uo pipefail

escape() {
	local text=${1//'%'/'%25'}
	text=${text//$'\r'/'%0D'}
	printf '%s' "${text//$'\n'/'%0A'}"
}

# An input the action cannot use: one annotation, exit 2 (as the kit's own usage errors).
usage() {
	printf '::error title=extstorage-kit::%s\n' "$(escape "$1")"
	exit 2
}

for name in GITHUB_ACTION_PATH GITHUB_STEP_SUMMARY GITHUB_OUTPUT; do
	[[ -n "${!name:-}" ]] || usage "$name is not set: this script is a step of the extstorage-kit action"
done
for name in ESK_PROVIDER ESK_BACKEND ESK_SCENARIOS ESK_GANETI ESK_ALLOW_UNVERIFIED ESK_SHARD \
	ESK_CONFORMANCE_JUNIT ESK_SCENARIOS_JUNIT ESK_WORKING_DIRECTORY; do
	[[ -v "$name" ]] || usage "$name is not set: action.yml passes every input"
done
cli="$GITHUB_ACTION_PATH/dist/harness/cli.js"
[[ -f "$cli" ]] || usage "$cli does not exist: the action's install step did not run"

# One-line inputs must be one line: they become arguments and lines of GITHUB_OUTPUT.
for name in ESK_PROVIDER ESK_BACKEND ESK_SHARD ESK_CONFORMANCE_JUNIT ESK_SCENARIOS_JUNIT ESK_WORKING_DIRECTORY; do
	input=${name#ESK_}
	input=${input,,}
	[[ "${!name}" != *[$'\n\r']* ]] || usage "input ${input//_/-} has a line break: give one path or value"
done
[[ -n "$ESK_WORKING_DIRECTORY" ]] || ESK_WORKING_DIRECTORY=.
cd -- "$ESK_WORKING_DIRECTORY" 2>/dev/null ||
	usage "input working-directory: '$ESK_WORKING_DIRECTORY' is not a directory (relative to $PWD)"

# Lists of words (Ganeti releases, check ids): separated by spaces, commas or line breaks.
read -r -a ganeti <<<"$(tr ',\n' '  ' <<<"$ESK_GANETI")"
read -r -a allow <<<"$(tr ',\n' '  ' <<<"$ESK_ALLOW_UNVERIFIED")"
# Scenario files and directories: one a line (a path may have spaces), blank lines ignored.
scenarios=()
while IFS= read -r line; do
	line=${line%$'\r'}
	[[ "$line" =~ ^[[:space:]]*$ ]] || scenarios+=("$line")
done <<<"$ESK_SCENARIOS"

[[ -n "$ESK_BACKEND" || ${#scenarios[@]} -gt 0 ]] ||
	usage "nothing to do: give the input backend (the conformance suite), scenarios (your scenario files), or both"
[[ -z "$ESK_BACKEND" || -n "$ESK_PROVIDER" ]] ||
	usage "input backend needs the input provider (the provider directory to test)"
# Inputs of one command given without it would be ignored: say so instead.
[[ -n "$ESK_BACKEND" || (${#ganeti[@]} -eq 0 && ${#allow[@]} -eq 0) ]] ||
	usage "inputs ganeti and allow-unverified are for the conformance suite: give the input backend too"
[[ ${#scenarios[@]} -gt 0 || -z "$ESK_SHARD" ]] || usage "input shard is for the scenarios: give the input scenarios too"
[[ -z "$ESK_BACKEND" || -n "$ESK_CONFORMANCE_JUNIT" ]] || usage "input conformance-junit is empty"
[[ ${#scenarios[@]} -eq 0 || -n "$ESK_SCENARIOS_JUNIT" ]] || usage "input scenarios-junit is empty"

html() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'; }

# The job summary of one command: its state, its closing line (the lines matching `closing`: test's
# verdict, run's count), the whole report (workflow commands left out), and stderr's end when it
# did not run at all.
summarize() {
	local title=$1 closing=$2 status=$3 out=$4 err=$5 state
	case $status in
	0) state=passed ;;
	1) state=failed ;;
	2) state="usage or file error" ;;
	*) state="exit status $status" ;;
	esac
	{
		printf '### %s: %s\n\n' "$title" "$state"
		grep -E "$closing" "$out" | html | sed -e 's|^|<p>|' -e 's|$|</p>|'
		printf '\n<details><summary>report</summary>\n\n<pre>\n'
		grep -v '^::' "$out" | head -c 400000 | html
		printf '</pre>\n</details>\n\n'
		if [[ "$status" -ge 2 ]]; then
			printf '<pre>\n'
			tail -n 20 "$err" | html
			printf '</pre>\n\n'
		fi
	} >>"$GITHUB_STEP_SUMMARY"
}

worst=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Runs the kit with stdout and stderr passed through as they come and kept for the summary: the
# inner pipeline copies stderr, fd 3 carries stdout to the outer one; the subshell exits with the
# kit's status, so both copies are complete when it is read.
kit() {
	local title=$1 closing=$2 status
	shift 2
	(
		node "$cli" "$@" 2>&1 1>&3 3>&- | tee "$tmp/err" >&2 3>&-
		exit "${PIPESTATUS[0]}"
	) 3>&1 | tee "$tmp/out"
	status=${PIPESTATUS[0]}
	summarize "$title" "$closing" "$status" "$tmp/out" "$tmp/err"
	if [[ "$status" -ge 2 ]]; then
		printf '::error title=%s::%s\n' "$title" "$(escape "$(tail -n 5 "$tmp/err")")"
	fi
	if ((status > worst)); then worst=$status; fi
}

# A step output: the report's absolute path.
output() {
	printf '%s=%s\n' "$1" "$(realpath -m -- "$2")" >>"$GITHUB_OUTPUT"
}

if [[ -n "$ESK_BACKEND" ]]; then
	args=(test "$ESK_PROVIDER" --backend "$ESK_BACKEND" --junit "$ESK_CONFORMANCE_JUNIT")
	for v in "${ganeti[@]}"; do args+=(--ganeti "$v"); done
	for id in "${allow[@]}"; do args+=(--allow-unverified "$id"); done
	kit "extstorage-kit test" '^Verdict: ' "${args[@]}"
	output conformance-junit "$ESK_CONFORMANCE_JUNIT"
fi

if [[ ${#scenarios[@]} -gt 0 ]]; then
	args=(run)
	[[ -z "$ESK_PROVIDER" ]] || args+=(--provider "$ESK_PROVIDER")
	[[ -z "$ESK_SHARD" ]] || args+=(--shard "$ESK_SHARD")
	args+=(--junit "$ESK_SCENARIOS_JUNIT" -- "${scenarios[@]}")
	kit "extstorage-kit run" '^[0-9]+ passed, ' "${args[@]}"
	output scenarios-junit "$ESK_SCENARIOS_JUNIT"
fi

exit "$worst"

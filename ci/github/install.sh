#!/usr/bin/env bash
# The extstorage-kit action's first step: install the kit from the action's own checkout
# ($GITHUB_ACTION_PATH, the revision the workflow's `uses:` names), so that the kit testing the
# provider is exactly that revision. `npm ci` installs the dependencies (the warm npm cache first)
# and `npm run build` makes dist/ (scripts are run explicitly: an npm config with ignore-scripts
# or an allow-list of scripts must not leave an unbuilt kit). Once per job: a second use of the
# action in the same job finds it built.
set -euo pipefail

error() {
	local text=${1//'%'/'%25'}
	text=${text//$'\r'/'%0D'}
	printf '::error title=extstorage-kit::%s\n' "${text//$'\n'/'%0A'}"
	exit 1
}

kit=${GITHUB_ACTION_PATH:-}
[[ -n "$kit" ]] || error "GITHUB_ACTION_PATH is not set: this script is a step of the extstorage-kit action"
[[ -f "$kit/package.json" ]] || error "$kit/package.json does not exist: GITHUB_ACTION_PATH is not a checkout of extstorage-kit"

version=$(node --version 2>/dev/null) ||
	error "node is not on PATH: run actions/setup-node (node-version: 20 or later) before this action"
major=${version#v}
major=${major%%.*}
[[ "$major" =~ ^[0-9]+$ ]] && ((major >= 20)) ||
	error "Node.js $version: extstorage-kit needs Node.js 20 or later (actions/setup-node with node-version: 20)"

cli="$kit/dist/harness/cli.js"
stamp="$kit/node_modules/.extstorage-kit-action-built"
if [[ -f "$stamp" && -f "$cli" ]]; then
	echo "extstorage-kit $(node "$cli" --version) is already installed in $kit"
	exit 0
fi

cd "$kit"
npm ci --ignore-scripts --prefer-offline --no-audit --no-fund
npm run build
[[ -f "$cli" ]] || error "npm run build did not make $cli"
touch "$stamp"
echo "extstorage-kit $(node "$cli" --version) installed in $kit"

// Would QEMU open this `-drive file=` value? Ganeti's KVM passes the kvm: URI through unchanged.
// We know the forms QEMU's block layer parses from a filename; anything else gets a warning.

/** Why QEMU would not open `uri`, or null when it is a form QEMU understands. */
export function qemuUriProblem(uri: string): string | null {
  if (uri.startsWith('/')) return null; // a plain host path
  if (uri.startsWith('rbd:')) return rbdProblem(uri.slice('rbd:'.length));
  if (uri.startsWith('json:')) return jsonProblem(uri.slice('json:'.length));
  if (uri.startsWith('nbd:') && !uri.startsWith('nbd://')) return legacyNbdProblem(uri);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//.exec(uri)?.[1];
  if (scheme === undefined) {
    return 'QEMU knows no such drive form; expected rbd:, gluster://, nbd:, nbd://, iscsi://, ssh://, http(s)://, json: or an absolute path';
  }
  const url = parseUrl(uri);
  if (url === null) return `not a well-formed ${scheme}:// URL`;
  switch (scheme) {
    case 'gluster':
    case 'gluster+tcp':
      if (url.hostname === '') return `${scheme}:// needs a host: ${scheme}://<host>[:<port>]/<volume>/<path>`;
      return glusterPathProblem(url, scheme);
    case 'gluster+unix':
      if (url.hostname !== '') return 'gluster+unix:// takes no host: gluster+unix:///<volume>/<path>?socket=<path>';
      if (!url.searchParams.get('socket')) return 'gluster+unix:// needs ?socket=<path>';
      return glusterPathProblem(url, scheme);
    case 'nbd':
    case 'nbd+tcp':
      return url.hostname === '' ? `${scheme}:// needs a host: ${scheme}://<host>[:<port>][/<export>]` : null;
    case 'nbd+unix':
      return url.searchParams.get('socket') ? null : 'nbd+unix:// needs ?socket=<path>';
    case 'iscsi':
      if (url.hostname === '') return 'iscsi:// needs a portal host: iscsi://<host>[:<port>]/<target-iqn>/<lun>';
      return /^\/[^/]+\/\d+$/.test(url.pathname) ? null : 'iscsi:// needs /<target-iqn>/<lun> after the host';
    case 'ssh':
      if (url.hostname === '') return 'ssh:// needs a host: ssh://[<user>@]<host>[:<port>]/<path>';
      return url.pathname.length > 1 ? null : 'ssh:// needs a path to the image after the host';
    case 'http':
    case 'https':
    case 'ftp':
    case 'ftps':
      return url.hostname === '' ? `${scheme}:// needs a host` : null;
    default:
      return `QEMU has no "${scheme}" protocol; expected gluster://, nbd://, iscsi://, ssh:// or http(s)://`;
  }
}

function parseUrl(uri: string): URL | null {
  try {
    return new URL(uri);
  } catch {
    return null;
  }
}

function rbdProblem(rest: string): string | null {
  // rbd:<pool>[/<namespace>]/<image>[@<snapshot>][:<option>=<value>...]
  const name = rest.split(':', 1)[0]!;
  if (!/^[^/@]+(\/[^/@]+)?\/[^/@]+(@[^/@]+)?$/.test(name)) {
    return 'rbd: needs <pool>/<image> (QEMU has no default pool): rbd:<pool>/<image>[:id=<user>][:conf=<file>]';
  }
  for (const option of rest.split(/(?<!\\):/).slice(1)) {
    if (!/^[^=]+=/.test(option)) return `rbd: option "${option}" is not <key>=<value>`;
  }
  return null;
}

function jsonProblem(rest: string): string | null {
  try {
    const value: unknown = JSON.parse(rest);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? null
      : 'json: needs a JSON object of block driver options';
  } catch {
    return 'json: is followed by text that is not valid JSON';
  }
}

function legacyNbdProblem(uri: string): string | null {
  // nbd:<host>:<port>[:exportname=<name>] or nbd:unix:<socket>[:exportname=<name>]
  return /^nbd:(unix:[^:]+|[^:]+:\d+)(:exportname=.+)?$/.test(uri)
    ? null
    : 'nbd: needs nbd:<host>:<port> or nbd:unix:<socket>, optionally :exportname=<name>';
}

function glusterPathProblem(url: URL, scheme: string): string | null {
  const parts = url.pathname.split('/').filter((part) => part !== '');
  return parts.length >= 2 ? null : `${scheme} needs /<volume>/<path to image> after the host`;
}

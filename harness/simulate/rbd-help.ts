// `rbd help` as Ceph 16 prints it (Shell::print_help), which rbd also prints on stdout after
// "error: unknown option '...'" for a command it does not know; and the same list as the other
// releases the simulator plays (`ceph_release`) differ in it, as far as the simulator cares.
//
// Assumption: reconstructed from the output of a Ceph 17.2 rbd with the two commands Quincy added
// ("device attach", "device detach") taken out; the other lines are the same in 16.2.

import type { CephRelease } from './state.js';

const RBD_HELP_16 = `usage: rbd <command> ...

Command-line interface for managing Ceph RBD images.

Positional arguments:
  <command>
    bench                             Simple benchmark.
    children                          Display children of an image or its
                                      snapshot.
    clone                             Clone a snapshot into a CoW child image.
    config global get                 Get a global-level configuration override.
    config global list (... ls)       List global-level configuration overrides.
    config global remove (... rm)     Remove a global-level configuration
                                      override.
    config global set                 Set a global-level configuration override.
    config image get                  Get an image-level configuration override.
    config image list (... ls)        List image-level configuration overrides.
    config image remove (... rm)      Remove an image-level configuration
                                      override.
    config image set                  Set an image-level configuration override.
    config pool get                   Get a pool-level configuration override.
    config pool list (... ls)         List pool-level configuration overrides.
    config pool remove (... rm)       Remove a pool-level configuration
                                      override.
    config pool set                   Set a pool-level configuration override.
    copy (cp)                         Copy src image to dest.
    create                            Create an empty image.
    deep copy (deep cp)               Deep copy (including snapshots) src image
                                      to dest.
    device list (showmapped)          List mapped rbd images.
    device map (map)                  Map an image to a block device.
    device unmap (unmap)              Unmap a rbd device.
    diff                              Print extents that differ since a
                                      previous snap, or image creation.
    disk-usage (du)                   Show disk usage stats for pool, image or
                                      snapshot.
    encryption format                 Format image to an encrypted format.
    export                            Export image to file.
    export-diff                       Export incremental diff to file.
    feature disable                   Disable the specified image feature.
    feature enable                    Enable the specified image feature.
    flatten                           Fill clone with parent data (make it
                                      independent).
    group create                      Create a group.
    group image add                   Add an image to a group.
    group image list (... ls)         List images in a group.
    group image remove (... rm)       Remove an image from a group.
    group list (group ls)             List rbd groups.
    group remove (group rm)           Delete a group.
    group rename                      Rename a group within its pool or
                                      namespace.
    group snap create                 Make a snapshot of a group.
    group snap list (... ls)          List snapshots of a group.
    group snap remove (... rm)        Remove a snapshot from a group.
    group snap rename                 Rename group's snapshot.
    group snap rollback               Rollback group to snapshot.
    image-meta get                    Image metadata get the value associated
                                      with the key.
    image-meta list (image-meta ls)   Image metadata list keys with values.
    image-meta remove (image-meta rm) Image metadata remove the key and value
                                      associated.
    image-meta set                    Image metadata set key with value.
    import                            Import image from file.
    import-diff                       Import an incremental diff.
    info                              Show information about image size,
                                      striping, etc.
    journal client disconnect         Flag image journal client as disconnected.
    journal export                    Export image journal.
    journal import                    Import image journal.
    journal info                      Show information about image journal.
    journal inspect                   Inspect image journal for structural
                                      errors.
    journal reset                     Reset image journal.
    journal status                    Show status of image journal.
    list (ls)                         List rbd images.
    lock add                          Take a lock on an image.
    lock list (lock ls)               Show locks held on an image.
    lock remove (lock rm)             Release a lock on an image.
    merge-diff                        Merge two diff exports together.
    migration abort                   Cancel interrupted image migration.
    migration commit                  Commit image migration.
    migration execute                 Execute image migration.
    migration prepare                 Prepare image migration.
    mirror image demote               Demote an image to non-primary for RBD
                                      mirroring.
    mirror image disable              Disable RBD mirroring for an image.
    mirror image enable               Enable RBD mirroring for an image.
    mirror image promote              Promote an image to primary for RBD
                                      mirroring.
    mirror image resync               Force resync to primary image for RBD
                                      mirroring.
    mirror image snapshot             Create RBD mirroring image snapshot.
    mirror image status               Show RBD mirroring status for an image.
    mirror pool demote                Demote all primary images in a pool or
                                      namespace.
    mirror pool disable               Disable RBD mirroring in a pool or
                                      namespace.
    mirror pool enable                Enable RBD mirroring in a pool or
                                      namespace.
    mirror pool info                  Show mirroring configuration for a pool
                                      or namespace.
    mirror pool peer add              Add a mirroring peer to a pool.
    mirror pool peer bootstrap create Create a peer bootstrap token to import
                                      in a remote cluster
    mirror pool peer bootstrap import Import a peer bootstrap token created
                                      from a remote cluster
    mirror pool peer remove           Remove a mirroring peer from a pool.
    mirror pool peer set              Update mirroring peer settings.
    mirror pool promote               Promote all non-primary images in a pool
                                      or namespace.
    mirror pool status                Show status for all mirrored images in a
                                      pool or namespace.
    mirror snapshot schedule add      Add mirror snapshot schedule.
    mirror snapshot schedule list (... ls)
                                      List mirror snapshot schedule.
    mirror snapshot schedule remove (... rm)
                                      Remove mirror snapshot schedule.
    mirror snapshot schedule status   Show mirror snapshot schedule status.
    namespace create                  Create an RBD image namespace.
    namespace list (namespace ls)     List RBD image namespaces.
    namespace remove (namespace rm)   Remove an RBD image namespace.
    object-map check                  Verify the object map is correct.
    object-map rebuild                Rebuild an invalid object map.
    perf image iostat                 Display image IO statistics.
    perf image iotop                  Display a top-like IO monitor.
    persistent-cache flush            Flush persistent cache.
    persistent-cache invalidate       Invalidate (discard) existing / dirty
                                      persistent cache.
    pool init                         Initialize pool for use by RBD.
    pool stats                        Display pool statistics.
    remove (rm)                       Delete an image.
    rename (mv)                       Rename an image within its pool or
                                      namespace.
    resize                            Resize (expand or shrink) image.
    snap create (snap add)            Create a snapshot.
    snap limit clear                  Remove snapshot limit.
    snap limit set                    Limit the number of snapshots.
    snap list (snap ls)               Dump list of image snapshots.
    snap protect                      Prevent a snapshot from being deleted.
    snap purge                        Delete all unprotected snapshots.
    snap remove (snap rm)             Delete a snapshot.
    snap rename                       Rename a snapshot.
    snap rollback (snap revert)       Rollback image to snapshot.
    snap unprotect                    Allow a snapshot to be deleted.
    sparsify                          Reclaim space for zeroed image extents.
    status                            Show the status of this image.
    trash list (trash ls)             List trash images.
    trash move (trash mv)             Move an image to the trash.
    trash purge                       Remove all expired images from trash.
    trash purge schedule add          Add trash purge schedule.
    trash purge schedule list (... ls)
                                      List trash purge schedule.
    trash purge schedule remove (... rm)
                                      Remove trash purge schedule.
    trash purge schedule status       Show trash purge schedule status.
    trash remove (trash rm)           Remove an image from trash.
    trash restore                     Restore an image from trash.
    watch                             Watch events on image.

Optional arguments:
  -c [ --conf ] arg                   path to cluster configuration
  --cluster arg                       cluster name
  --id arg                            client id (without 'client.' prefix)
  -n [ --name ] arg                   client name
  -m [ --mon_host ] arg               monitor host
  -K [ --keyfile ] arg                path to secret key
  -k [ --keyring ] arg                path to keyring

See 'rbd help <command>' for help on a specific command.
`;

/**
 * `rbd help` of each release the simulator plays. Only the kernel-device commands differ from
 * Ceph 16's list; every other line is Ceph 16's in every release (not reproduced per release:
 * spec/SCENARIOS.md, "Known differences").
 *   - 12 (Luminous): no `device` group (src/tools/rbd/action/Device.cc is new in 13 "Mimic"); the
 *     kernel commands are `map`, `showmapped` and `unmap` (Luminous' action/Kernel.cc, with its
 *     descriptions), in the help's alphabetical order.
 *   - 17 (Quincy), 18 (Reef): Quincy's action/Device.cc adds `device attach` and `device detach`
 *     (kept as they are in Reef, as far as known).
 */
export function rbdHelp(release: CephRelease): string {
  if (release === 12) {
    return RBD_HELP_16.replace(
      / {4}device list \(showmapped\)[^\n]*\n {4}device map \(map\)[^\n]*\n {4}device unmap \(unmap\)[^\n]*\n/,
      '',
    )
      .replace(
        /( {4}merge-diff )/,
        '    map                               Map image to a block device using the\n                                      kernel.\n$1',
      )
      .replace(
        /( {4}snap create )/,
        '    showmapped                        Show the rbd images mapped by the kernel.\n$1',
      )
      .replace(
        /( {4}watch )/,
        '    unmap                             Unmap a rbd device that was used by the\n                                      kernel.\n$1',
      );
  }
  if (release >= 17) {
    return RBD_HELP_16.replace(
      /( {4}device list \(showmapped\))/,
      '    device attach                     Attach image to device.\n    device detach                     Detach image from device.\n$1',
    );
  }
  return RBD_HELP_16;
}

/**
 * Real rbd commands of Ceph 12 that its help lists but Ceph 16's list (above) has not: rbd-nbd's
 * `nbd list (nbd ls)`, `nbd map`, `nbd unmap` (Luminous' action/Nbd.cc; in 13 they became
 * `device ... -t nbd`). Named so that they fail as "not simulated" rather than "unknown".
 */
const LUMINOUS_ONLY: readonly (readonly [string[], string[]])[] = [
  [
    ['nbd', 'list'],
    ['nbd', 'ls'],
  ],
  [['nbd', 'map'], []],
  [['nbd', 'unmap'], []],
];

/**
 * Every command of the release's rbd and its alias (see rbdHelp), in registration order as far
 * as Shell::find_action cares: a call is matched against these to tell a real command the
 * simulator does not implement from a command rbd does not know.
 */
export function rbdCommands(release: CephRelease): readonly (readonly [string[], string[]])[] {
  const listed = commandsOf(rbdHelp(release));
  return release === 12 ? [...listed, ...LUMINOUS_ONLY] : listed;
}

function commandsOf(help: string): (readonly [string[], string[]])[] {
  return help
    .split('\n')
    .filter((line) => /^ {4}[a-z]/.test(line))
    .map((line) => {
      // Names of up to 33 characters are followed by their description at column 38.
      const text = line.length > 38 && line[37] === ' ' ? line.slice(4, 37).trimEnd() : line.slice(4).trimEnd();
      const match = /^(.*?)(?: \((.*)\))?$/.exec(text)!;
      const spec = match[1]!.split(' ');
      let alias: string[] = [];
      if (match[2] !== undefined) {
        const words = match[2].split(' ');
        alias = words[0] === '...' ? [...spec.slice(0, spec.length - 1), ...words.slice(1)] : words;
      }
      return [spec, alias] as const;
    });
}

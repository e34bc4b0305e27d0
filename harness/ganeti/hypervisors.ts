// The hypervisor names Ganeti knows; GetUserspaceAccessUri is asked with one of them.

export const HYPERVISORS = ['kvm', 'xen-pvm', 'xen-hvm', 'lxc', 'chroot', 'fake'] as const;

export type Hypervisor = (typeof HYPERVISORS)[number];

export function isHypervisor(name: string): name is Hypervisor {
  return (HYPERVISORS as readonly string[]).includes(name);
}

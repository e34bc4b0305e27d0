// What a provider directory holds (spec/SPEC.md §2): the scripts Ganeti looks for and since when.

export const REQUIRED_SCRIPTS = ['create', 'attach', 'detach', 'remove', 'grow', 'setinfo', 'verify'] as const;
export const OPTIONAL_SCRIPTS = ['snapshot', 'open', 'close'] as const;
export const ACTIONS = [...REQUIRED_SCRIPTS, ...OPTIONAL_SCRIPTS] as const;
export const PARAMETERS_FILE = 'parameters.list';

export type RequiredScript = (typeof REQUIRED_SCRIPTS)[number];
export type OptionalScript = (typeof OPTIONAL_SCRIPTS)[number];
export type Action = (typeof ACTIONS)[number];

/** The first Ganeti release that runs each optional script; older ones ignore the file. */
export const OPTIONAL_SINCE: Readonly<Record<OptionalScript, string>> = {
  snapshot: '2.13.0',
  open: '2.14.0',
  close: '2.14.0',
};

export function isAction(name: string): name is Action {
  return (ACTIONS as readonly string[]).includes(name);
}

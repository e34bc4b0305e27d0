// What a provider directory holds (spec/SPEC.md §2): the scripts Ganeti looks for and since when.

export const REQUIRED_SCRIPTS = ['create', 'attach', 'detach', 'remove', 'grow', 'setinfo', 'verify'] as const;
export const OPTIONAL_SCRIPTS = ['snapshot', 'open', 'close'] as const;
export const ACTIONS = [...REQUIRED_SCRIPTS, ...OPTIONAL_SCRIPTS] as const;
export const PARAMETERS_FILE = 'parameters.list';

export type OptionalScript = (typeof OPTIONAL_SCRIPTS)[number];
export type Action = (typeof ACTIONS)[number];

export function isAction(name: string): name is Action {
  return (ACTIONS as readonly string[]).includes(name);
}

// The arguments of one call once parsed: what boost::program_options stored for the command.

/** What boost::program_options stored: option values by long name, and the positional arguments. */
export class Parsed {
  readonly values = new Map<string, string[]>();
  readonly positional: string[] = [];

  has(name: string): boolean {
    return this.values.has(name);
  }

  get(name: string): string | undefined {
    return this.values.get(name)?.[0];
  }

  all(name: string): string[] {
    return this.values.get(name) ?? [];
  }

  flag(name: string): boolean {
    return this.values.has(name);
  }

  arg(index: number): string {
    return this.positional[index] ?? '';
  }
}

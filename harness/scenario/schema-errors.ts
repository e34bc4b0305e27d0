// The schema stage of the loader: the scenario data against spec/scenario.schema.json (the
// validator compiled at build time, schema.ts), and ajv's errors phrased as one clear message per
// node in the schema's own words: its x-phrase, x-plural and x-key-noun annotations, titles,
// descriptions, enums and bounds.

import { AlternativeTree } from './alternative-tree.js';
import { joinOr, label, pathKey, type Issue, type Path, type Segment } from './issue.js';
import { scenarioSchema, scenarioValidator, type SchemaError } from './schema.js';
import type { YamlSource } from './yaml-source.js';

/** Every problem the schema finds in `data` (already parsed from `source`), one per node. */
export function schemaIssues(data: unknown, source: YamlSource): Issue[] {
  const validate = scenarioValidator();
  // A valid file (the usual case) needs no phrasing: the schema file is read only to phrase errors.
  if (validate(data)) return [];
  return new SchemaErrors(source, data).convert(validate.errors ?? []);
}

type SchemaObject = Readonly<Record<string, unknown>>;

const STRUCTURAL = new Set(['required', 'additionalProperties', 'propertyNames', 'uniqueItems']);

class SchemaErrors {
  private readonly root = scenarioSchema();
  private readonly definitions = (this.root.definitions ?? {}) as Readonly<Record<string, SchemaObject>>;

  constructor(
    private readonly source: YamlSource,
    private readonly data: unknown,
  ) {}

  convert(errors: readonly SchemaError[]): Issue[] {
    const withPaths = errors.map((error) => ({ error, path: this.parsePointer(error.instancePath) }));
    const issues: Issue[] = [];

    // oneOf/anyOf: when the value has the shape of one alternative and fails inside it (a bad
    // key in {regex: ...}, a bad item in a list), report those inner errors; otherwise one
    // message for the node naming every alternative. Outer alternatives first.
    // Linear in the number of errors (times the depth): each error is filed once under every
    // alternative whose node holds it, and dropped errors are marked, not filtered out of a list.
    const others = withPaths.filter((e) => e.error.keyword !== 'oneOf' && e.error.keyword !== 'anyOf');
    const alternatives = withPaths
      .filter((e) => e.error.keyword === 'oneOf' || e.error.keyword === 'anyOf')
      .sort((a, b) => a.path.length - b.path.length);
    const tree = new AlternativeTree<(typeof others)[number]>();
    for (const alt of alternatives) tree.add(alt.path);
    for (const e of others) tree.file(e.path, e);
    const dropped = new Set<(typeof others)[number]>();
    for (const alt of alternatives) {
      if (tree.absorbedAt(alt.path)) continue;
      const under = tree.under(alt.path).filter((e) => !dropped.has(e));
      const isInner = (e: (typeof others)[number]) =>
        e.path.length > alt.path.length || STRUCTURAL.has(e.error.keyword);
      if (!under.some(isInner)) {
        issues.push(this.valueIssue(alt.path));
        tree.absorb(alt.path);
        for (const e of under) dropped.add(e);
      } else {
        for (const e of under) if (!isInner(e)) dropped.add(e);
      }
    }
    let remaining = others.filter((e) => !dropped.has(e));

    // propertyNames reports the failing name's own error on the map too: keep one message.
    const badNames = new Set(remaining.filter((e) => e.error.keyword === 'propertyNames').map((e) => pathKey(e.path)));
    remaining = remaining.filter(
      (e) => !(badNames.has(pathKey(e.path)) && (e.error.keyword === 'pattern' || e.error.keyword === 'minLength')),
    );

    const valueErrorsAt = new Map<string, Path>();
    for (const { error, path } of remaining) {
      switch (error.keyword) {
        case 'additionalProperties': {
          const name = String(error.params.additionalProperty);
          issues.push({ path: [...path, name], at: 'key', message: this.unknownKey(path, name) });
          break;
        }
        case 'required': {
          const name = String(error.params.missingProperty);
          issues.push({
            path,
            at: 'value',
            message: `missing required key ${JSON.stringify(name)} ${this.context(path)}`,
          });
          break;
        }
        case 'propertyNames': {
          const name = String(error.params.propertyName);
          const rule = this.describe(this.propertyNamesOf(path) ?? {});
          issues.push({
            path: [...path, name],
            at: 'key',
            message: `${JSON.stringify(name)} ${this.context(path)} is not ${rule}`,
          });
          break;
        }
        case 'uniqueItems': {
          const index = Math.max(Number(error.params.i), Number(error.params.j));
          const item = [...path, index];
          issues.push({ path: item, at: 'value', message: `${this.show(item)} is listed twice in ${label(path)}` });
          break;
        }
        default:
          valueErrorsAt.set(pathKey(path), path);
      }
    }
    for (const path of valueErrorsAt.values()) issues.push(this.valueIssue(path));
    return issues;
  }

  /** The node at `path` is not what its schema wants: one message saying what it must be. */
  private valueIssue(path: Path): Issue {
    const schema = this.schemaAt(path);
    const got = this.show(path);
    const value = this.valueAt(path);
    const ref = schema ? this.refName(schema) : undefined;
    const last = path[path.length - 1];
    if (typeof value === 'string' && last === 'action' && path.length >= 2) {
      const allowed = (this.deref(schema ?? {}).enum as string[] | undefined) ?? [];
      return { path, at: 'value', message: `unknown action ${got}: expected one of ${allowed.join(', ')}` };
    }
    if (typeof value === 'string' && ref === 'simulator') {
      const allowed = (this.deref(schema ?? {}).enum as string[] | undefined) ?? [];
      return { path, at: 'value', message: `unknown simulator ${got}: expected one of ${allowed.join(', ')}` };
    }
    if (path.length === 0) {
      return { path, at: 'value', message: `the file must be a map with a "scenarios" key, got ${got}` };
    }
    const wanted = schema ? this.describe(schema) : 'something else';
    // YAML reads 1, 2.5, true, null unquoted as non-strings; that is usually the whole mistake.
    const quote =
      wanted === 'a string' &&
      (typeof value === 'number' || typeof value === 'boolean') &&
      !this.source.isEmptyValue(path)
        ? ` (quote it: "${got}")`
        : '';
    return { path, at: 'value', message: `${label(path)} must be ${wanted}, got ${got}${quote}` };
  }

  private unknownKey(path: Path, name: string): string {
    const schema = this.schemaAt(path);
    const noun = (schema && this.annotation(schema, 'x-key-noun')) ?? 'key';
    const keys = Object.keys(this.objectSchema(schema ?? {}).properties ?? {});
    const extra = path.length === 0 ? ', or x-<anything> for YAML anchors' : '';
    return `unknown ${noun} ${JSON.stringify(name)} ${this.context(path)} (expected one of: ${keys.join(', ')}${extra})`;
  }

  /** "in step", "in "volume"", "at the top level": where a map is. */
  private context(path: Path): string {
    if (path.length === 0) return 'at the top level';
    const last = path[path.length - 1]!;
    if (typeof last === 'string') return `in ${JSON.stringify(last)}`;
    const title = this.deref(this.schemaAt(path) ?? {}).title;
    return typeof title === 'string' ? `in ${title}` : `in ${label(path)}`;
  }

  private show(path: Path): string {
    if (this.source.isEmptyValue(path)) return 'nothing';
    const value = this.valueAt(path);
    if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
    if (typeof value === 'number') return this.source.plainText(path) ?? String(value);
    if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
    if (value !== null && typeof value === 'object') return 'a map';
    return String(value);
  }

  private valueAt(path: Path): unknown {
    let value: unknown = this.data;
    for (const segment of path) {
      if (value === null || typeof value !== 'object') return undefined;
      value = (value as Record<string, unknown>)[segment as string];
    }
    return value;
  }

  /** JSON pointer -> path, numbers for list indices. */
  private parsePointer(pointer: string): Path {
    if (pointer === '') return [];
    const path: Segment[] = [];
    let value: unknown = this.data;
    for (const raw of pointer.slice(1).split('/')) {
      const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      const index = Array.isArray(value) ? Number(segment) : NaN;
      path.push(Number.isInteger(index) ? index : segment);
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[segment] : undefined;
    }
    return path;
  }

  /**
   * How the schema's messages name the definition `raw` refers to (x-phrase: "must be <phrase>",
   * x-plural: "a list of <plural>", x-key-noun: "unknown <noun>"); a definition only reached
   * through a $ref is named so, as the definition's own words.
   */
  private annotation(raw: SchemaObject, keyword: 'x-phrase' | 'x-plural' | 'x-key-noun'): string | undefined {
    const name = this.refName(raw);
    const value = name === undefined ? undefined : this.definitions[name]?.[keyword];
    return typeof value === 'string' && value !== '' ? value : undefined;
  }

  private refName(schema: SchemaObject): string | undefined {
    const ref = schema.$ref;
    return typeof ref === 'string' ? ref.replace(/^#\/definitions\//, '') : undefined;
  }

  private deref(schema: SchemaObject): SchemaObject {
    let current = schema;
    for (let hops = 0; hops < 20; hops++) {
      const name = this.refName(current);
      if (name === undefined) return current;
      current = this.definitions[name] ?? {};
    }
    return current;
  }

  /** The schema that applies at `path`, as written (a $ref is kept, so its name can be used). */
  private schemaAt(path: Path): SchemaObject | undefined {
    let raw: SchemaObject = this.root;
    for (const segment of path) {
      let schema = this.deref(raw);
      const alternatives = schema.oneOf as SchemaObject[] | undefined;
      if (alternatives) {
        const wanted = typeof segment === 'number' ? 'array' : 'object';
        const branch = alternatives.find((alt) => this.deref(alt).type === wanted);
        if (!branch) return undefined;
        schema = this.deref(branch);
      }
      let next: unknown;
      if (typeof segment === 'number' && schema.type === 'array') next = schema.items;
      else if (typeof segment === 'string' && schema.type === 'object') {
        const properties = (schema.properties ?? {}) as Record<string, SchemaObject>;
        next = Object.hasOwn(properties, segment) ? properties[segment] : schema.additionalProperties;
      }
      if (next === null || typeof next !== 'object') return undefined;
      raw = next as SchemaObject;
    }
    return raw;
  }

  /** The map schema of `raw`: itself, or the map alternative of a oneOf ({regex: ...}). */
  private objectSchema(raw: SchemaObject): SchemaObject {
    const schema = this.deref(raw);
    const alternatives = schema.oneOf as SchemaObject[] | undefined;
    const branch = alternatives?.find((alt) => this.deref(alt).type === 'object');
    return branch ? this.deref(branch) : schema;
  }

  private propertyNamesOf(path: Path): SchemaObject | undefined {
    const schema = this.schemaAt(path);
    return schema ? (this.deref(schema).propertyNames as SchemaObject | undefined) : undefined;
  }

  /** What a schema asks for, as a noun phrase: "a positive integer", "a list of strings". */
  describe(raw: SchemaObject): string {
    const phrase = this.annotation(raw, 'x-phrase');
    if (phrase !== undefined) return phrase;
    const schema = this.deref(raw);
    const alternatives = schema.oneOf as SchemaObject[] | undefined;
    // One list, so that an alternative's own "or" does not nest: "an integer from 0 to 255,
    // "nonzero" or "any"", not "an integer from 0 to 255 or "nonzero" or "any"".
    if (alternatives) return joinOr(alternatives.flatMap((alt) => this.alternatives(alt)));
    const allowed = schema.enum as unknown[] | undefined;
    if (allowed) {
      const shown = allowed.map((value) => JSON.stringify(value));
      return shown.length <= 2 ? joinOr(shown) : `one of ${shown.join(', ')}`;
    }
    switch (schema.type) {
      case 'integer': {
        const min = schema.minimum as number | undefined;
        const max = schema.maximum as number | undefined;
        if (min === 1 && max === undefined) return 'a positive integer';
        if (min !== undefined && max !== undefined) return `an integer from ${min} to ${max}`;
        return 'an integer';
      }
      case 'number':
        return 'a number';
      case 'string':
        if (typeof schema.pattern === 'string' && typeof schema.description === 'string') return schema.description;
        return schema.minLength ? 'a non-empty string' : 'a string';
      case 'boolean':
        return 'a boolean (true or false)';
      case 'null':
        return 'null';
      case 'array': {
        const items = (schema.items ?? {}) as SchemaObject;
        return `${schema.minItems ? 'a non-empty list' : 'a list'} of ${this.plural(items)}`;
      }
      case 'object':
        return 'a map';
      default:
        return 'something else';
    }
  }

  /** The phrases of one oneOf alternative: a nested oneOf's and a short enum's each on their own. */
  private alternatives(raw: SchemaObject): string[] {
    if (this.annotation(raw, 'x-phrase') !== undefined) return [this.describe(raw)];
    const schema = this.deref(raw);
    const nested = schema.oneOf as SchemaObject[] | undefined;
    if (nested) return nested.flatMap((alt) => this.alternatives(alt));
    const allowed = schema.enum as unknown[] | undefined;
    if (allowed && allowed.length <= 2) return allowed.map((value) => JSON.stringify(value));
    return [this.describe(raw)];
  }

  private plural(raw: SchemaObject): string {
    const plural = this.annotation(raw, 'x-plural');
    if (plural !== undefined) return plural;
    const schema = this.deref(raw);
    switch (schema.type) {
      case 'string':
        return 'strings';
      case 'array':
        return `lists of ${this.plural((schema.items ?? {}) as SchemaObject)}`;
      case 'object':
        return 'maps';
      default:
        return 'items';
    }
  }
}

/**
 * Field paths and field sets in the form structured-merge-diff gives them, which is what managedFields
 * (fieldsV1) stores: a path is a list of elements `f:<field>`, `k:<json of the key fields>` (an item of a
 * keyed list) and `v:<json value>` (a member of a set); a set of paths is a trie whose nodes mark their own
 * membership with `.`.
 */

/** One path element in fieldsV1 spelling: `f:name`, `k:{"name":"app"}` or `v:"x"`. */
export type PathElement = string;

/** A path, root first. */
export type Path = readonly PathElement[];

// Elements never contain a newline (JSON escapes them), so one joins a path into a set key losslessly.
const SEP = '\n';

export const fieldElement = (name: string): PathElement => `f:${name}`;
export const valueElement = (value: unknown): PathElement => `v:${JSON.stringify(value)}`;

/** A keyed list item's element; key fields sorted by name, as structured-merge-diff writes them. */
export function keyElement(fields: Record<string, unknown>): PathElement {
  const sorted = Object.fromEntries(Object.keys(fields).sort().map((k) => [k, fields[k]]));
  return `k:${JSON.stringify(sorted)}`;
}

/** A path as kube's conflict messages print it: `.spec.containers[name="app"].image`, `[=x]` for set members. */
export function pathString(path: Path): string {
  return path
    .map((e) => {
      if (e.startsWith('f:')) return `.${e.slice(2)}`;
      // Values print as JSON (strings quoted), as structured-merge-diff prints them.
      if (e.startsWith('v:')) return `[=${e.slice(2)}]`;
      const key = JSON.parse(e.slice(2)) as Record<string, unknown>;
      return `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
    })
    .join('');
}

/** A set of paths. */
export class FieldSet {
  private readonly members = new Set<string>();

  static of(paths: Iterable<Path>): FieldSet {
    const set = new FieldSet();
    for (const p of paths) set.add(p);
    return set;
  }

  /** Reads managedFields' fieldsV1 trie. */
  static fromFieldsV1(tree: unknown): FieldSet {
    const set = new FieldSet();
    const walk = (node: unknown, path: PathElement[]): void => {
      if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
      for (const [k, child] of Object.entries(node as Record<string, unknown>)) {
        if (k === '.') {
          if (path.length > 0) set.add(path);
          continue;
        }
        const p = [...path, k];
        if (child && typeof child === 'object' && Object.keys(child).length === 0) set.add(p);
        else walk(child, p);
      }
    };
    walk(tree, []);
    return set;
  }

  add(path: Path): void {
    this.members.add(path.join(SEP));
  }

  has(path: Path): boolean {
    return this.members.has(path.join(SEP));
  }

  get size(): number {
    return this.members.size;
  }

  *paths(): IterableIterator<Path> {
    for (const m of this.members) yield m.split(SEP);
  }

  union(other: FieldSet): FieldSet {
    const out = this.clone();
    for (const m of other.members) out.members.add(m);
    return out;
  }

  minus(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!other.members.has(m)) out.members.add(m);
    return out;
  }

  intersect(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (other.members.has(m)) out.members.add(m);
    return out;
  }

  /** Every path that is a strict prefix of a member: the nodes with something of the set under them. */
  prefixes(): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) {
      for (let i = m.indexOf(SEP); i >= 0; i = m.indexOf(SEP, i + 1)) out.members.add(m.slice(0, i));
    }
    return out;
  }

  /** Paths for which `keep` holds. */
  filter(keep: (path: Path) => boolean): FieldSet {
    const out = new FieldSet();
    for (const p of this.paths()) if (keep(p)) out.add(p);
    return out;
  }

  clone(): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) out.members.add(m);
    return out;
  }

  /** The fieldsV1 trie: each member is a node, marked with `.` when it also has children. */
  toFieldsV1(): Record<string, unknown> {
    const root: Record<string, Record<string, unknown>> = {};
    for (const path of [...this.paths()].sort((a, b) => a.length - b.length)) {
      let node: Record<string, unknown> = root;
      for (const e of path) node = (node[e] ??= {}) as Record<string, unknown>;
    }
    const mark = (node: Record<string, unknown>, path: PathElement[]): Record<string, unknown> => {
      const keys = Object.keys(node).sort();
      const out: Record<string, unknown> = {};
      if (path.length > 0 && keys.length > 0 && this.has(path)) out['.'] = {};
      for (const k of keys) out[k] = mark(node[k] as Record<string, unknown>, [...path, k]);
      return out;
    };
    return mark(root, []);
  }
}

// Field sets for server-side apply: which leaf fields of an object a manager owns, in Kubernetes' FieldsV1
// form (`{"f:spec": {"f:cpus": {}}}`). Pure. Lists are atomic (one leaf), as for CRDs whose schemas declare no
// list type — landfall's do not. Tracked: every top-level field but apiVersion, kind and status, and of
// metadata only labels, annotations, finalizers and ownerReferences (the rest is the server's).

/** A field path: object keys from the root, e.g. ["spec", "cpus"] or ["metadata", "labels", "app"]. */
export type FieldPath = readonly string[];

const TRACKED_METADATA = new Set(["labels", "annotations", "finalizers", "ownerReferences"]);
const UNTRACKED_ROOT = new Set(["apiVersion", "kind", "status", "metadata"]);

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Leaf paths and their values: non-empty objects are descended into; anything else (lists too) is a leaf. */
export function leafFields(obj: unknown): Map<string, { path: FieldPath; value: unknown }> {
  const out = new Map<string, { path: FieldPath; value: unknown }>();
  const walk = (value: unknown, path: string[]) => {
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
      return;
    }
    out.set(pathKey(path), { path, value });
  };
  if (!isPlainObject(obj)) return out;
  for (const [k, v] of Object.entries(obj)) if (!UNTRACKED_ROOT.has(k)) walk(v, [k]);
  const meta = obj.metadata;
  if (isPlainObject(meta)) for (const [k, v] of Object.entries(meta)) if (TRACKED_METADATA.has(k)) walk(v, ["metadata", k]);
  return out;
}

export const pathKey = (path: FieldPath): string => JSON.stringify(path);
export const pathOfKey = (key: string): FieldPath => JSON.parse(key) as string[];

/** `.spec.cpus`, `.metadata.labels.app` — how conflicts name a field (kubectl prints it). */
export const describePath = (path: FieldPath): string => path.map((p) => (/^[A-Za-z0-9_-]+$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`)).join("");

/** A set of leaf paths as FieldsV1. */
export function toFieldsV1(keys: Iterable<string>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const key of keys) {
    let node = root;
    for (const segment of pathOfKey(key)) {
      const name = `f:${segment}`;
      node[name] = isPlainObject(node[name]) ? node[name] : {};
      node = node[name] as Record<string, unknown>;
    }
  }
  return root;
}

/** FieldsV1 back to leaf paths (nodes without children); keys other than `f:…` (e.g. `.`) are ignored. */
export function fromFieldsV1(fields: unknown): Set<string> {
  const out = new Set<string>();
  const walk = (node: unknown, path: string[]) => {
    const children = isPlainObject(node) ? Object.keys(node).filter((k) => k.startsWith("f:")) : [];
    if (children.length === 0) {
      if (path.length > 0) out.add(pathKey(path));
      return;
    }
    for (const k of children) walk((node as Record<string, unknown>)[k], [...path, k.slice(2)]);
  };
  walk(fields, []);
  return out;
}

/** Whether one path equals the other or lies inside it (an atomic leaf covers everything beneath it). */
export const overlaps = (a: FieldPath, b: FieldPath): boolean => {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
};

/** The value at `path`, or undefined. */
export function valueAt(obj: unknown, path: FieldPath): unknown {
  let node = obj;
  for (const segment of path) {
    if (!isPlainObject(node)) return undefined;
    node = node[segment];
  }
  return node;
}

/** Removes the field at `path` and any objects it leaves empty above it (within `obj`, mutated). */
export function removeAt(obj: Record<string, unknown>, path: FieldPath): void {
  const parents: Array<Record<string, unknown>> = [];
  let node: unknown = obj;
  for (const segment of path.slice(0, -1)) {
    if (!isPlainObject(node)) return;
    parents.push(node);
    node = node[segment];
  }
  if (!isPlainObject(node)) return;
  delete node[path[path.length - 1]];
  for (let i = parents.length - 1; i >= 0 && Object.keys(node as object).length === 0; i--) {
    delete parents[i][path[i]];
    node = parents[i];
  }
}

/** Sets the field at `path` (mutated), creating the objects above it. */
export function setAt(obj: Record<string, unknown>, path: FieldPath, value: unknown): void {
  let node = obj;
  for (const segment of path.slice(0, -1)) {
    if (!isPlainObject(node[segment])) node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = structuredClone(value);
}

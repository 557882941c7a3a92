// Objects reduced to some of their fields, for lists that need only those (a Table's printer columns). A field
// is a dotted path of keys from the object's root, e.g. `status.conditions`; the reduced object has each
// field's value at that path — null where the object has none — and nothing else. Pure: the stores read the
// values, these functions shape them.
import type { KubeObject } from "../api/meta.ts";

const KEY = /^[A-Za-z0-9_-]+$/;

/** The keys of a dotted field path; an error names a path that is not one. */
export function fieldKeys(field: string): string[] {
  const keys = field.split(".");
  if (!keys.every((k) => KEY.test(k))) throw new Error(`field ${JSON.stringify(field)} must be keys of letters, digits, "_" or "-" joined by "."`);
  return keys;
}

/** The value at a field of obj; null when a step is missing or not an object (as SQLite's `->` reads it). */
export function valueAt(obj: unknown, keys: readonly string[]): unknown {
  let current = obj;
  for (const key of keys) {
    if (!current || typeof current !== "object" || Array.isArray(current)) return null;
    current = (current as Record<string, unknown>)[key];
  }
  return current ?? null;
}

/**
 * Builds reduced objects from each object's values of fields (values[i] for fields[i]), the fields' keys
 * split once for a whole list. Fields must not nest (see `outermostFields`).
 */
export function fieldsBuilder(fields: readonly string[]): (values: readonly unknown[]) => KubeObject {
  const keys = fields.map(fieldKeys);
  return (values) => {
    const out: Record<string, unknown> = {};
    keys.forEach((path, i) => {
      let node = out;
      for (let k = 0; k < path.length - 1; k++) {
        node[path[k]] ??= {};
        node = node[path[k]] as Record<string, unknown>;
      }
      node[path[path.length - 1]] = values[i] ?? null;
    });
    return out as unknown as KubeObject;
  };
}

/** obj reduced to fields (the generic path: a store that has the whole object picks from it). */
export function pickFields(obj: KubeObject, fields: readonly string[]): KubeObject {
  return fieldsBuilder(fields)(fields.map((f) => valueAt(obj, fieldKeys(f))));
}

/** Fields without those inside another one (`status` covers `status.phase`), sorted and unique. */
export function outermostFields(fields: readonly string[]): string[] {
  const sorted = [...new Set(fields)].sort();
  return sorted.filter((f) => !sorted.some((outer) => outer !== f && f.startsWith(`${outer}.`)));
}

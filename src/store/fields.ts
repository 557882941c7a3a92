// Objects reduced to some of their fields, for lists that need only those (a Table's printer columns). A field
// is a dotted path of keys from the object's root, e.g. `status.conditions`; the reduced object has each
// field's value at that path, and nothing else. Pure: the stores read the values, these functions shape them.
import type { KubeObject } from "../api/meta.ts";

const KEY = /^[A-Za-z0-9_-]+$/;

/** The keys of a dotted field path; an error names a path that is not one. */
export function fieldKeys(field: string): string[] {
  const keys = field.split(".");
  if (!keys.every((k) => KEY.test(k))) throw new Error(`field ${JSON.stringify(field)} must be keys of letters, digits, "_" or "-" joined by "."`);
  return keys;
}

/** The value at a field of obj; undefined when a step is missing or not an object. */
export function valueAt(obj: unknown, keys: readonly string[]): unknown {
  let current = obj;
  for (const key of keys) {
    if (!current || typeof current !== "object" || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * The object holding, at each field, the value given for it (values[i] for fields[i]); a value that is
 * undefined leaves its field out. Fields must not nest (see `outermostFields`).
 */
export function objectFromFields(fields: readonly string[], values: readonly unknown[]): KubeObject {
  const out: Record<string, unknown> = {};
  fields.forEach((field, i) => {
    if (values[i] === undefined) return;
    const keys = fieldKeys(field);
    let node = out;
    for (const key of keys.slice(0, -1)) {
      node[key] ??= {};
      node = node[key] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]] = values[i];
  });
  return out as unknown as KubeObject;
}

/** obj reduced to fields (the generic path: a store that has the whole object picks from it). */
export function pickFields(obj: KubeObject, fields: readonly string[]): KubeObject {
  return objectFromFields(
    fields,
    fields.map((f) => valueAt(obj, fieldKeys(f))),
  );
}

/** Fields without those inside another one (`status` covers `status.phase`), sorted and unique. */
export function outermostFields(fields: readonly string[]): string[] {
  const sorted = [...new Set(fields)].sort();
  return sorted.filter((f) => !sorted.some((outer) => outer !== f && f.startsWith(`${outer}.`)));
}

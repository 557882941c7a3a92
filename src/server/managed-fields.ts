// Server-side apply and field ownership (metadata.managedFields), the structured-merge essentials: each
// manager owns the leaf fields it last set; an apply that would change a field another manager owns is a
// conflict (409 naming fields and managers) unless forced, which takes the fields over; fields a manager
// applied before and omits now are removed unless someone else owns them. Pure decisions over objects.
import { isDeepStrictEqual } from "node:util";
import { ApiError, type StatusCause } from "../api/errors.ts";
import type { KubeObject } from "../api/meta.ts";
import { describePath, type FieldPath, fromFieldsV1, leafFields, overlaps, pathOfKey, removeAt, setAt, toFieldsV1, valueAt } from "./field-sets.ts";

export interface ManagedFieldsEntry {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  time: string;
  fieldsType: "FieldsV1";
  fieldsV1: Record<string, unknown>;
}

export interface ApplyConflict {
  manager: string;
  path: FieldPath;
}

const entriesOf = (obj: KubeObject | undefined): ManagedFieldsEntry[] => (obj?.metadata.managedFields as ManagedFieldsEntry[] | undefined) ?? [];
const sameOwner = (e: ManagedFieldsEntry, manager: string, operation: ManagedFieldsEntry["operation"]) => e.manager === manager && e.operation === operation;

/** Entries with their field sets, dropping paths that no longer exist in `obj` and entries left empty. */
function finish(entries: Array<{ entry: ManagedFieldsEntry; keys: Set<string> }>, obj: KubeObject): ManagedFieldsEntry[] {
  return entries
    .map(({ entry, keys }) => ({ entry, keys: new Set([...keys].filter((k) => valueAt(obj, pathOfKey(k)) !== undefined)) }))
    .filter(({ keys }) => keys.size > 0)
    .map(({ entry, keys }) => ({ ...entry, fieldsV1: toFieldsV1(keys) }));
}

/**
 * What an Update (create, PUT, merge/JSON patch) by `manager` does to ownership: it takes every field it
 * changed, added or removed away from the others and owns those it set.
 */
export function recordUpdate(old: KubeObject | undefined, next: KubeObject, manager: string, now: string): ManagedFieldsEntry[] {
  const before = leafFields(old);
  const after = leafFields(next);
  const changed = new Set<string>();
  for (const [k, { value }] of after) if (!before.has(k) || !isDeepStrictEqual(before.get(k)?.value, value)) changed.add(k);
  for (const k of before.keys()) if (!after.has(k)) changed.add(k);
  const entries = entriesOf(old);
  if (changed.size === 0) return entries;
  const changedPaths = [...changed].map(pathOfKey);
  const others = entries
    .filter((e) => !sameOwner(e, manager, "Update"))
    .map((entry) => ({ entry, keys: new Set([...fromFieldsV1(entry.fieldsV1)].filter((k) => !changedPaths.some((p) => overlaps(p, pathOfKey(k))))) }));
  const mine = entries.find((e) => sameOwner(e, manager, "Update"));
  const keys = new Set([...(mine ? fromFieldsV1(mine.fieldsV1) : []), ...[...changed].filter((k) => after.has(k))]);
  const own: ManagedFieldsEntry = { manager, operation: "Update", apiVersion: next.apiVersion, time: now, fieldsType: "FieldsV1", fieldsV1: {} };
  return finish([...others, { entry: own, keys }], next);
}

export type ApplyPlan = { object: KubeObject } | { conflicts: ApplyConflict[] };

/**
 * The object after `manager` applies `applied` (its full intent) to `live` (undefined: creation). Status,
 * apiVersion/kind and server-owned metadata of `applied` are not applied.
 */
export function planApply(live: KubeObject | undefined, applied: KubeObject, manager: string, force: boolean, now: string): ApplyPlan {
  const intent = leafFields(applied);
  const entries = entriesOf(live);
  const conflicts: ApplyConflict[] = [];
  for (const entry of entries) {
    if (entry.manager === manager) continue;
    const owned = [...fromFieldsV1(entry.fieldsV1)].map(pathOfKey);
    for (const { path, value } of intent.values()) {
      if (owned.some((p) => overlaps(p, path)) && !isDeepStrictEqual(valueAt(live, path), value)) conflicts.push({ manager: entry.manager, path });
    }
  }
  if (conflicts.length > 0 && !force) return { conflicts };

  const taken = conflicts.map((c) => c.path);
  const others = entries
    .filter((e) => !sameOwner(e, manager, "Apply"))
    .map((entry) => ({ entry, keys: new Set([...fromFieldsV1(entry.fieldsV1)].filter((k) => !taken.some((p) => overlaps(p, pathOfKey(k))))) }));
  const previous = entries.find((e) => sameOwner(e, manager, "Apply"));

  const result = structuredClone(live ?? { apiVersion: applied.apiVersion, kind: applied.kind, metadata: { name: applied.metadata.name, namespace: applied.metadata.namespace } }) as KubeObject;
  result.apiVersion = applied.apiVersion;
  // Fields this manager applied before and leaves out now go, unless another manager still owns them.
  for (const key of previous ? fromFieldsV1(previous.fieldsV1) : []) {
    const path = pathOfKey(key);
    if (intent.has(key) || [...intent.values()].some((i) => overlaps(i.path, path))) continue;
    if (others.some(({ keys }) => [...keys].some((k) => overlaps(pathOfKey(k), path)))) continue;
    removeAt(result as Record<string, unknown>, path);
  }
  for (const { path, value } of intent.values()) setAt(result as Record<string, unknown>, path, value);
  const own: ManagedFieldsEntry = { manager, operation: "Apply", apiVersion: applied.apiVersion, time: now, fieldsType: "FieldsV1", fieldsV1: {} };
  result.metadata.managedFields = finish([...others, { entry: own, keys: new Set(intent.keys()) }], result);
  return { object: result };
}

/** The 409 kubectl shows for conflicts (it then suggests --force-conflicts). */
export function conflictError(kind: string, name: string, apiVersion: string, conflicts: ApplyConflict[]): ApiError {
  const causes: StatusCause[] = conflicts.map((c) => ({ reason: "FieldManagerConflict", message: `conflict with "${c.manager}" using ${apiVersion}`, field: describePath(c.path) }));
  const lines = causes.map((c) => `${c.message}: ${c.field}`);
  const message = `Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? "" : "s"}: ${lines.join("; ")}; apply again with force=true (kubectl apply --server-side --force-conflicts) to take these fields over, or leave them out of your manifest`;
  return new ApiError("Conflict", message, { kind, name, causes });
}

/** The manager an Update is recorded under: `?fieldManager=`, else the client's name from its User-Agent (as Kubernetes does). */
export function updateManager(fieldManager: string | undefined, userAgent: string | undefined): string {
  if (fieldManager) return checkManager(fieldManager);
  const name = (userAgent ?? "").split("/")[0].trim();
  return name === "" ? "unknown" : name.slice(0, 128);
}

export function checkManager(value: string): string {
  if (value.length > 128 || !/^[\x20-\x7e]+$/.test(value)) throw new ApiError("BadRequest", `fieldManager ${JSON.stringify(value)} must be 1-128 printable ASCII characters`);
  return value;
}

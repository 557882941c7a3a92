// RFC 6902 JSON Patch and RFC 7386 JSON Merge Patch, as pure functions over plain JSON values.
// The server validates the patched object afterwards, so these only enforce the RFCs' own rules.
import { ApiError } from "../api/errors.ts";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface JsonPatchOperation {
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  path: string;
  from?: string;
  value?: unknown;
}

const badPatch = (message: string) => new ApiError("BadRequest", `invalid JSON patch: ${message}`);
/** A failed `test` operation or a path that does not exist: the patch does not apply (Kubernetes answers 422). */
const unprocessable = (message: string) => new ApiError("Invalid", `JSON patch cannot be applied: ${message}`, { causes: [{ message }] });

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** "/a/b~1c/0" → ["a", "b/c", "0"] (RFC 6901). */
export function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw badPatch(`path "${pointer}" must be empty or start with "/"`);
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function arrayIndex(arr: unknown[], token: string, pointer: string, forInsert: boolean): number {
  if (forInsert && token === "-") return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw unprocessable(`"${token}" in "${pointer}" is not an array index`);
  const i = Number(token);
  if (i > arr.length || (!forInsert && i === arr.length)) throw unprocessable(`index ${i} in "${pointer}" is out of range`);
  return i;
}

/** The container holding the pointer's last token, and that token. */
function parentOf(doc: unknown, pointer: string): { parent: unknown; key: string } {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw badPatch("the root cannot be the target of this operation");
  let cur: unknown = doc;
  for (const t of tokens.slice(0, -1)) cur = child(cur, t, pointer);
  return { parent: cur, key: tokens[tokens.length - 1] };
}

function child(cur: unknown, token: string, pointer: string): unknown {
  if (Array.isArray(cur)) return cur[arrayIndex(cur, token, pointer, false)];
  if (isObject(cur) && Object.hasOwn(cur, token)) return cur[token];
  throw unprocessable(`path "${pointer}" does not exist`);
}

export function getAt(doc: unknown, pointer: string): unknown {
  let cur = doc;
  for (const t of parsePointer(pointer)) cur = child(cur, t, pointer);
  return cur;
}

function add(doc: unknown, pointer: string, value: unknown): unknown {
  if (pointer === "") return value;
  const { parent, key } = parentOf(doc, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, pointer, true), 0, value);
  else if (isObject(parent)) parent[key] = value;
  else throw unprocessable(`parent of "${pointer}" is not an object or array`);
  return doc;
}

function remove(doc: unknown, pointer: string): { doc: unknown; removed: unknown } {
  const { parent, key } = parentOf(doc, pointer);
  if (Array.isArray(parent)) {
    const [removed] = parent.splice(arrayIndex(parent, key, pointer, false), 1);
    return { doc, removed };
  }
  if (isObject(parent) && Object.hasOwn(parent, key)) {
    const removed = parent[key];
    delete parent[key];
    return { doc, removed };
  }
  throw unprocessable(`path "${pointer}" does not exist`);
}

function validateOperation(op: unknown, index: number): JsonPatchOperation {
  if (!isObject(op)) throw badPatch(`operation ${index} is not an object`);
  const kinds = ["add", "remove", "replace", "move", "copy", "test"];
  if (typeof op.op !== "string" || !kinds.includes(op.op)) throw badPatch(`operation ${index}: "op" must be one of ${kinds.join(", ")}`);
  if (typeof op.path !== "string") throw badPatch(`operation ${index}: "path" must be a string`);
  if ((op.op === "move" || op.op === "copy") && typeof op.from !== "string") throw badPatch(`operation ${index}: "${op.op}" needs "from"`);
  if ((op.op === "add" || op.op === "replace" || op.op === "test") && !Object.hasOwn(op, "value")) throw badPatch(`operation ${index}: "${op.op}" needs "value"`);
  return op as unknown as JsonPatchOperation;
}

/** Applies an RFC 6902 patch to a copy of `doc`; the input is never modified. */
export function applyJsonPatch<T>(doc: T, patch: unknown): T {
  if (!Array.isArray(patch)) throw badPatch("the body must be a JSON array of operations");
  let out: unknown = structuredClone(doc);
  patch.forEach((raw, i) => {
    const op = validateOperation(raw, i);
    const value = structuredClone(op.value);
    switch (op.op) {
      case "add":
        out = add(out, op.path, value);
        break;
      case "remove":
        out = remove(out, op.path).doc;
        break;
      case "replace":
        if (op.path === "") out = value;
        else out = add(remove(out, op.path).doc, op.path, value);
        break;
      case "move": {
        const from = op.from as string;
        if (op.path === from) break;
        if (op.path.startsWith(`${from}/`)) throw unprocessable(`cannot move "${from}" into its own child "${op.path}"`);
        const { doc: rest, removed } = remove(out, from);
        out = add(rest, op.path, removed);
        break;
      }
      case "copy":
        out = add(out, op.path, structuredClone(getAt(out, op.from as string)));
        break;
      case "test":
        if (!deepEqual(getAt(out, op.path), value)) throw unprocessable(`test at "${op.path}" failed: value is not ${JSON.stringify(value)}`);
        break;
    }
  });
  return out as T;
}

/** RFC 7386: objects merge recursively, null deletes, anything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

// Validation at the API boundary, from the kinds' schemas: unknown fields, enums, formats, DNS-1123 names
// and oneOf rules, each reported with the field path and what to do.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { invalid, type StatusCause } from "./errors.ts";
import { type KindInfo, KINDS } from "./kinds.ts";
import type { KubeObject } from "./meta.ts";
import { type Provider, providerSpecCauses } from "./provider.ts";

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false, verbose: true }));
const compiled = new Map<string, ValidateFunction>();

function validatorFor(info: KindInfo): ValidateFunction {
  let fn = compiled.get(info.kind);
  if (!fn) {
    fn = ajv.compile(info.schema);
    compiled.set(info.kind, fn);
  }
  return fn;
}

/** "/spec/importedDisk/format" → "spec.importedDisk.format"; array indexes as [i]. */
function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split("/").filter(Boolean);
  let out = "";
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  if (extra) out = out ? `${out}.${extra}` : extra;
  return out || "(root)";
}

function requiredOf(branch: unknown): string[] {
  const req = (branch as { required?: unknown }).required;
  return Array.isArray(req) ? (req as string[]) : [];
}

function causeFor(err: ErrorObject, data: unknown): StatusCause | undefined {
  const field = fieldPath(err.instancePath);
  switch (err.keyword) {
    case "additionalProperties": {
      const prop = (err.params as { additionalProperty: string }).additionalProperty;
      return { field: fieldPath(err.instancePath, prop), reason: "FieldValueNotSupported", message: `unknown field "${prop}"; remove it or check its spelling` };
    }
    case "required": {
      const prop = (err.params as { missingProperty: string }).missingProperty;
      return { field: fieldPath(err.instancePath, prop), reason: "FieldValueRequired", message: "required value is missing" };
    }
    case "oneOf":
    case "anyOf": {
      const branches = (err.schema as unknown[]) ?? [];
      const names = [...new Set(branches.flatMap(requiredOf))];
      if (names.length === 0) return { field, message: err.message ?? "invalid value" };
      const fields = names.map((n) => fieldPath(err.instancePath, n));
      const target = valueAt(data, err.instancePath) as Record<string, unknown> | undefined;
      const set = names.filter((n) => target && target[n] !== undefined);
      const which = err.keyword === "oneOf" ? "exactly one" : "at least one";
      const found = set.length === 0 ? "neither is set" : `${set.map((n) => fieldPath(err.instancePath, n)).join(" and ")} are both set`;
      return { field: fields.join(", "), reason: "FieldValueInvalid", message: `${which} of ${fields.join(" or ")} must be set (${found})` };
    }
    case "enum": {
      const allowed = (err.params as { allowedValues: unknown[] }).allowedValues;
      return { field, reason: "FieldValueNotSupported", message: `unsupported value ${JSON.stringify(valueAt(data, err.instancePath))}; use one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}` };
    }
    case "const": {
      // A lone literal (a union's literals are folded by literalUnionCause and their branches skipped).
      const allowed = (err.params as { allowedValue: unknown }).allowedValue;
      return { field, reason: "FieldValueNotSupported", message: `unsupported value ${JSON.stringify(valueAt(data, err.instancePath))}; use ${JSON.stringify(allowed)}` };
    }
    case "pattern": {
      const value = JSON.stringify(valueAt(data, err.instancePath));
      if (/\.(name|namespace)$|^metadata\.name$/.test(field) || field.endsWith("Ref.name") || field.endsWith("vmName") || field.endsWith("targetName")) {
        return { field, reason: "FieldValueInvalid", message: `${value} is not a valid name: use lower-case letters, digits and '-', starting and ending with a letter or digit (DNS-1123 label)` };
      }
      return { field, reason: "FieldValueInvalid", message: `${value} does not match ${(err.params as { pattern: string }).pattern}` };
    }
    default:
      return { field, reason: "FieldValueInvalid", message: err.message ?? "invalid value" };
  }
}

function valueAt(data: unknown, instancePath: string): unknown {
  let cur: unknown = data;
  for (const p of instancePath.split("/").filter(Boolean)) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/** Unions of literals fail as one `const` error per branch plus an `anyOf`: fold them into one enum cause. */
function literalUnionCause(err: ErrorObject, data: unknown): StatusCause | undefined {
  if (err.keyword !== "anyOf") return undefined;
  const branches = err.schema as Array<{ const?: unknown }>;
  if (!Array.isArray(branches) || !branches.every((b) => b && "const" in b)) return undefined;
  return causeFor({ ...err, keyword: "enum", params: { allowedValues: branches.map((b) => b.const) } }, data);
}

/** Schema errors of `obj` against its kind, as Status causes (empty when valid). */
export function schemaCauses(info: KindInfo, obj: unknown): StatusCause[] {
  const fn = validatorFor(info);
  if (fn(obj)) return [];
  const errors = fn.errors ?? [];
  const causes: StatusCause[] = [];
  // A failed oneOf/anyOf also reports each branch's own failures; keep only the union's summary.
  const unionPaths = errors.filter((e) => e.keyword === "oneOf" || e.keyword === "anyOf").map((e) => e.schemaPath);
  for (const err of errors) {
    if (unionPaths.some((p) => err.schemaPath !== p && err.schemaPath.startsWith(p.replace(/\/(oneOf|anyOf)$/, "/")) && /\/(oneOf|anyOf)\/\d+\//.test(err.schemaPath))) continue;
    const cause = literalUnionCause(err, obj) ?? causeFor(err, obj);
    if (cause && !causes.some((c) => c.field === cause.field && c.message === cause.message)) causes.push(cause);
  }
  return causes.length > 0 ? causes : [{ message: "object does not match its schema" }];
}

/** Rules beyond the schema, per kind; run only on objects the schema accepted. */
const SEMANTIC_CAUSES: Record<string, (obj: KubeObject) => StatusCause[]> = {
  Provider: (obj) => providerSpecCauses((obj as Provider).spec),
};

/** Throws ApiError Invalid (422) naming every bad field. */
export function validateObject(obj: KubeObject): void {
  const info = KINDS.find((k) => k.kind === obj.kind);
  if (!info) throw invalid(String(obj.kind), obj.metadata?.name ?? "", [{ field: "kind", message: `unknown kind "${obj.kind}"` }]);
  const schema = schemaCauses(info, obj);
  const causes = schema.length > 0 ? schema : (SEMANTIC_CAUSES[info.kind]?.(obj) ?? []);
  if (causes.length > 0) throw invalid(info.kind, obj.metadata?.name ?? "", causes);
}

// CustomResourceDefinitions (apiextensions.k8s.io/v1) for landfall's own kinds, generated from the same TypeBox
// schemas the embedded server validates with, so both ways of running landfall accept the same objects.
//
// Kubernetes takes a *structural* subset of OpenAPI v3, so the schema is translated, not copied:
// - unions of literals become `enum` (Kubernetes has no `const`);
// - TypeBox records (`patternProperties`) become `additionalProperties: <value schema>` (no patternProperties);
// - `additionalProperties: false` next to `properties` is dropped: Kubernetes rejects the pair as mutually
//   exclusive, and pruning of unknown fields (the v1 default) gives the same effect;
// - "exactly one of"/"at least one of" (`oneOf`/`anyOf` over `required`) become CEL `x-kubernetes-validations` whose
//   message names the fields, like the embedded server's error;
// - `default`s are dropped: the embedded store does not fill them in, and objects must read back identically from
//   either store (landfall applies its defaults when it acts, not when it stores);
// - pattern escapes `\uXXXX` become RE2's `\x{XXXX}` (the API server compiles patterns with Go's regexp).
import type { KindInfo } from "./kinds.ts";
import { API_GROUP } from "./meta.ts";

export const CRD_VERSION = "v1beta1";

export type JSONSchemaProps = Record<string, unknown>;

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface CustomResourceDefinition {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    scope: "Namespaced";
    names: { plural: string; singular: string; kind: string; listKind: string; shortNames: string[]; categories: string[] };
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: JSONSchemaProps };
      subresources?: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
    }>;
  };
}

/** Kinds Kubernetes already has (core/v1): never defined as CRDs. */
const CORE_KINDS = new Set(["Secret", "ConfigMap"]);

const age: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };
const phase: PrinterColumn = { name: "Phase", type: "string", jsonPath: ".status.phase" };

/** What `kubectl get` shows, matching `landfall get` where JSONPath can express it. */
export const PRINTER_COLUMNS: Record<string, PrinterColumn[]> = {
  Provider: [
    { name: "Type", type: "string", jsonPath: ".spec.type" },
    { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: "Reason", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
    { name: "VMs", type: "integer", jsonPath: ".status.inventory.vms" },
    age,
  ],
  VMImage: [phase, { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' }, age],
  VirtualMachine: [
    phase,
    { name: "Provider", type: "string", jsonPath: ".spec.providerRef.name" },
    { name: "Source", type: "string", jsonPath: ".spec.importedDisk.source" },
    { name: "Image", type: "string", jsonPath: ".spec.imageRef.name" },
    age,
    { name: "ProviderID", type: "string", jsonPath: ".status.providerID", priority: 1 },
  ],
  VMMigration: [
    phase,
    { name: "Progress", type: "number", jsonPath: ".status.progress.percent", description: "percent of bytes transferred" },
    { name: "Source", type: "string", jsonPath: ".spec.source.vmName" },
    { name: "Target", type: "string", jsonPath: ".spec.target.vmName" },
    age,
    { name: "Message", type: "string", jsonPath: ".status.message", priority: 1 },
  ],
  VMAction: [
    { name: "Action", type: "string", jsonPath: ".spec.action" },
    phase,
    { name: "VM", type: "string", jsonPath: ".status.virtualMachineRef.name" },
    age,
    { name: "Message", type: "string", jsonPath: ".status.message", priority: 1 },
  ],
  VMImport: [
    phase,
    { name: "Total", type: "integer", jsonPath: ".status.progress.total" },
    { name: "Succeeded", type: "integer", jsonPath: ".status.progress.succeeded" },
    { name: "Failed", type: "integer", jsonPath: ".status.progress.failed" },
    age,
  ],
};

export function crdsFor(kinds: readonly KindInfo[]): CustomResourceDefinition[] {
  return kinds.filter((k) => !CORE_KINDS.has(k.kind)).map(crdFor);
}

export function crdFor(info: KindInfo): CustomResourceDefinition {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${info.plural}.${API_GROUP}`, labels: { "app.kubernetes.io/name": "landfall", "app.kubernetes.io/part-of": "landfall" } },
    spec: {
      group: API_GROUP,
      scope: "Namespaced",
      names: {
        plural: info.plural,
        singular: info.singular,
        kind: info.kind,
        listKind: `${info.kind}List`,
        shortNames: [...info.shortNames],
        categories: ["landfall"],
      },
      versions: [
        {
          name: CRD_VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: rootSchema(info) },
          ...(info.hasStatus ? { subresources: { status: {} } } : {}),
          additionalPrinterColumns: PRINTER_COLUMNS[info.kind] ?? [age],
        },
      ],
    },
  };
}

/** The root: apiVersion/kind/metadata are the API server's to check; spec and status come from the schema. */
function rootSchema(info: KindInfo): JSONSchemaProps {
  // JSON round trip: drops TypeBox's symbol keys (Kind, Optional) and leaves plain data.
  const plain = JSON.parse(JSON.stringify(info.schema)) as JSONSchemaProps;
  const props = (plain.properties ?? {}) as Record<string, JSONSchemaProps>;
  const properties: Record<string, JSONSchemaProps> = {
    apiVersion: { type: "string" },
    kind: { type: "string" },
    metadata: { type: "object" },
  };
  for (const [name, schema] of Object.entries(props)) {
    if (name === "apiVersion" || name === "kind" || name === "metadata") continue;
    properties[name] = structural(schema, name);
  }
  const required = ((plain.required as string[] | undefined) ?? []).filter((r) => !["apiVersion", "kind", "metadata"].includes(r));
  return {
    type: "object",
    description: `${info.kind} (${API_GROUP}/${CRD_VERSION}), generated from landfall's schema`,
    properties,
    ...(required.length ? { required } : {}),
  };
}

/** Keywords a structural schema keeps as they are. */
const KEEP = new Set([
  "type",
  "description",
  "format",
  "pattern",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minItems",
  "maxItems",
  "uniqueItems",
  "minProperties",
  "maxProperties",
  "required",
  "enum",
  "nullable",
]);

/** One schema node, translated; `path` (e.g. "spec.importedDisk") names fields in messages and errors. */
export function structural(schema: JSONSchemaProps, path: string): JSONSchemaProps {
  if (Array.isArray(schema.anyOf) && schema.anyOf.every((s) => s && typeof s === "object" && "const" in s)) {
    return literalUnion(schema, path);
  }
  if ("const" in schema) return literalUnion({ ...schema, anyOf: [{ const: schema.const }] }, path);
  const out: JSONSchemaProps = {};
  for (const [key, value] of Object.entries(schema)) {
    if (KEEP.has(key)) out[key] = key === "pattern" ? re2Pattern(String(value)) : value;
  }
  if (schema.properties) {
    const props: Record<string, JSONSchemaProps> = {};
    for (const [name, sub] of Object.entries(schema.properties as Record<string, JSONSchemaProps>)) props[name] = structural(sub, `${path}.${name}`);
    out.properties = props;
  }
  if (schema.patternProperties) {
    const values = Object.values(schema.patternProperties as Record<string, JSONSchemaProps>);
    if (values.length !== 1) throw new Error(`${path}: patternProperties with ${values.length} patterns cannot be expressed in a CRD schema`);
    out.additionalProperties = structural(values[0], `${path}[*]`);
  } else if (schema.additionalProperties && typeof schema.additionalProperties === "object") {
    out.additionalProperties = structural(schema.additionalProperties as JSONSchemaProps, `${path}[*]`);
  }
  // additionalProperties:false is dropped (see the header): pruning removes unknown fields instead.
  if (schema.items && typeof schema.items === "object") out.items = structural(schema.items as JSONSchemaProps, `${path}[]`);
  const rules = [
    ...(Array.isArray(schema.oneOf) ? [exactlyOneRule(schema.oneOf as JSONSchemaProps[], path)] : []),
    ...(Array.isArray(schema.anyOf) ? [atLeastOneRule(schema.anyOf as JSONSchemaProps[], path)] : []),
  ];
  if (rules.length) out["x-kubernetes-validations"] = rules;
  if (out.type === undefined && out.properties) out.type = "object";
  return out;
}

function literalUnion(schema: JSONSchemaProps, path: string): JSONSchemaProps {
  const values = (schema.anyOf as JSONSchemaProps[]).map((s) => s.const);
  const types = new Set(values.map((v) => typeof v));
  if (types.size !== 1) throw new Error(`${path}: a union of literals of different types (${[...types].join(", ")}) cannot be an enum`);
  const type = [...types][0] === "string" ? "string" : Number.isInteger(values[0]) ? "integer" : typeof values[0];
  return { type, enum: values, ...(typeof schema.description === "string" ? { description: schema.description } : {}) };
}

/** The one field a oneOf/anyOf branch requires: `{required: [f], not: {required: [...]}}` or `{required: [f]}`. */
function branchField(branch: JSONSchemaProps, path: string): string {
  const req = branch.required;
  if (!Array.isArray(req) || req.length !== 1 || typeof req[0] !== "string") {
    throw new Error(`${path}: only oneOf/anyOf branches that require exactly one field can become CEL rules (got ${JSON.stringify(branch)})`);
  }
  return req[0];
}

/** CEL's `has()` takes a field selection; names that are not identifiers would need another form. */
function celHas(field: string, path: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field)) throw new Error(`${path}: field "${field}" is not a CEL identifier`);
  return `has(self.${field})`;
}

export function exactlyOneRule(branches: JSONSchemaProps[], path: string): { rule: string; message: string } {
  const fields = branches.map((b) => branchField(b, path));
  const checks = fields.map((f) => celHas(f, path));
  const rule = checks.length === 2 ? `${checks[0]} != ${checks[1]}` : `[${checks.join(", ")}].filter(x, x).size() == 1`;
  return { rule, message: `exactly one of ${fields.map((f) => `${path}.${f}`).join(" or ")} must be set` };
}

export function atLeastOneRule(branches: JSONSchemaProps[], path: string): { rule: string; message: string } {
  const fields = branches.map((b) => branchField(b, path));
  return { rule: fields.map((f) => celHas(f, path)).join(" || "), message: `at least one of ${fields.map((f) => `${path}.${f}`).join(" or ")} must be set` };
}

/** ECMAScript `\uXXXX` → RE2 `\x{XXXX}`; everything else in our patterns means the same in both dialects. */
export function re2Pattern(pattern: string): string {
  return pattern.replace(/\\u([0-9A-Fa-f]{4})/g, "\\x{$1}");
}

// Strict validation for the test API server: every object is checked against a published schema — landfall's
// CRDs (as `landfall crds` generates them, including their CEL rules), Flux's HelmRelease CRD, and Kubernetes',
// KubeVirt's and CDI's
// OpenAPI definitions copied under test/fixtures/openapi/. "Strict" as a real apiserver with
// fieldValidation=Strict: an unknown field is an error, never silently pruned.
import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { parse } from "yaml";
import { crdsFor } from "../../../src/api/crds.ts";
import { KINDS } from "../../../src/api/kinds.ts";

type Schema = Record<string, unknown>;

interface Fixture {
  roots: string[];
  definitions: Record<string, Schema>;
}

const fixture = (name: string): Fixture => JSON.parse(readFileSync(new URL(`../../fixtures/openapi/${name}`, import.meta.url), "utf8")) as Fixture;

/** Adds additionalProperties:false to every object schema that lists its properties (strict field validation). */
export function strict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strict);
  if (!node || typeof node !== "object") return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "properties") out[k] = Object.fromEntries(Object.entries(v as Schema).map(([p, s]) => [p, strict(s)]));
    // CRD patterns are RE2 (`\x{0000}`); ajv runs ECMAScript regular expressions (`\u0000`).
    else if (k === "pattern" && typeof v === "string") out[k] = v.replace(/\\x\{([0-9A-Fa-f]{4})\}/g, "\\u$1");
    else out[k] = strict(v);
  }
  if (out.properties && out.additionalProperties === undefined && out["x-kubernetes-preserve-unknown-fields"] !== true) out.additionalProperties = false;
  return out;
}

function newAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  for (const f of ["int32", "int64", "double", "float", "int-or-string", "quantity"]) ajv.addFormat(f, true);
  // Kubernetes' `byte` is base64.
  ajv.addFormat("byte", /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
  return ajv;
}

export interface Cause {
  field: string;
  message: string;
}

export type Validator = (obj: unknown) => Cause[];

function fromAjv(fn: ValidateFunction): Validator {
  return (obj) => {
    if (fn(obj)) return [];
    return (fn.errors ?? []).map((e: ErrorObject) => {
      const at = e.instancePath.replace(/^\//, "").replaceAll("/", ".");
      const extra = e.keyword === "additionalProperties" ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : "";
      return { field: at || "<root>", message: `${e.message ?? e.keyword}${extra}` };
    });
  };
}

/** One swagger definition with its closure, compiled strictly. */
function definitionValidator(ajv: Ajv, definitions: Record<string, Schema>, root: string): Validator {
  if (!definitions[root]) throw new Error(`no definition ${root}`);
  return fromAjv(ajv.compile({ definitions: strict(definitions), $ref: `#/definitions/${root}` }));
}

/**
 * The CEL rules landfall's CRD generator writes (src/api/crds.ts: exactly one of / at least one of, over has()).
 * Any other rule is refused loudly, so a new kind of rule cannot pass unchecked here.
 */
export function celRule(rule: string): (self: Record<string, unknown>) => boolean {
  const has = (f: string) => (self: Record<string, unknown>) => self[f] !== undefined;
  const two = /^has\(self\.(\w+)\) != has\(self\.(\w+)\)$/.exec(rule);
  if (two) return (self) => has(two[1])(self) !== has(two[2])(self);
  const list = /^\[((?:has\(self\.\w+\)(?:, )?)+)\]\.filter\(x, x\)\.size\(\) == 1$/.exec(rule);
  if (list) {
    const fields = [...list[1].matchAll(/has\(self\.(\w+)\)/g)].map((m) => m[1]);
    return (self) => fields.filter((f) => has(f)(self)).length === 1;
  }
  if (/^has\(self\.\w+\)( \|\| has\(self\.\w+\))*$/.test(rule)) {
    const fields = [...rule.matchAll(/has\(self\.(\w+)\)/g)].map((m) => m[1]);
    return (self) => fields.some((f) => has(f)(self));
  }
  throw new Error(`the test API server cannot evaluate CEL rule ${JSON.stringify(rule)}`);
}

function celCauses(schema: Schema, value: unknown, path: string): Cause[] {
  if (!value || typeof value !== "object" || Array.isArray(value)) return [];
  const causes: Cause[] = [];
  for (const r of (schema["x-kubernetes-validations"] as Array<{ rule: string; message: string }> | undefined) ?? []) {
    if (!celRule(r.rule)(value as Record<string, unknown>)) causes.push({ field: path || "<root>", message: r.message });
  }
  for (const [name, sub] of Object.entries((schema.properties as Record<string, Schema>) ?? {})) {
    causes.push(...celCauses(sub, (value as Record<string, unknown>)[name], path ? `${path}.${name}` : name));
  }
  if (schema.items && Array.isArray(value)) {
    for (const [i, v] of value.entries()) causes.push(...celCauses(schema.items as Schema, v, `${path}[${i}]`));
  }
  return causes;
}

/** Validators by apiVersion/kind. */
export function publishedValidators(): Map<string, Validator> {
  const ajv = newAjv();
  const out = new Map<string, Validator>();
  const kubevirt = fixture("kubevirt.json");
  const cdi = fixture("cdi.json");
  const core = fixture("kubernetes-core.json");
  // The core fixture shares apimachinery's ObjectMeta (and what it references) with KubeVirt's copy.
  const apimachinery = Object.fromEntries(Object.entries(kubevirt.definitions).filter(([k]) => k.startsWith("k8s.io.apimachinery.")));
  const coreDefs = { ...apimachinery, ...core.definitions };
  const objectMeta = definitionValidator(ajv, coreDefs, "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta");
  out.set("coordination.k8s.io/v1/Lease", definitionValidator(ajv, coreDefs, "io.k8s.api.coordination.v1.Lease"));
  out.set("v1/Secret", definitionValidator(ajv, coreDefs, "io.k8s.api.core.v1.Secret"));
  out.set("v1/ConfigMap", definitionValidator(ajv, coreDefs, "io.k8s.api.core.v1.ConfigMap"));
  out.set("kubevirt.io/v1/VirtualMachine", definitionValidator(ajv, kubevirt.definitions, "v1.VirtualMachine"));
  out.set("cdi.kubevirt.io/v1beta1/DataVolume", definitionValidator(ajv, cdi.definitions, "v1beta1.DataVolume"));
  // Flux's HelmRelease (what full Cozystack adoption applies): its published CRD schema; its CEL rules are not
  // evaluated here (only landfall's generated rule shapes are), the structure is.
  const flux = JSON.parse(readFileSync(new URL("../../fixtures/openapi/flux-helmrelease-v2.json", import.meta.url), "utf8")) as { schema: Schema };
  const fluxBody = fromAjv(ajv.compile(strict({ ...flux.schema, properties: { ...(flux.schema.properties as Schema), metadata: {} } }) as Schema));
  out.set("helm.toolkit.fluxcd.io/v2/HelmRelease", (obj) => [
    ...fluxBody(obj),
    ...objectMeta((obj as { metadata?: unknown }).metadata).map((c) => ({ ...c, field: c.field === "<root>" ? "metadata" : `metadata.${c.field}` })),
  ]);
  // Forklift's Plan, from the CRD copy the Forklift renderer's tests use (test/fixtures/cozystack/forklift/).
  const planCRD = parse(readFileSync(new URL("../../fixtures/cozystack/forklift/plans.crd.yaml", import.meta.url), "utf8")) as {
    spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: Schema } }> };
  };
  const planSchema = planCRD.spec.versions.find((v) => v.name === "v1beta1")?.schema.openAPIV3Schema as Schema;
  const planBody = fromAjv(ajv.compile(strict({ ...planSchema, properties: { ...(planSchema.properties as Schema), metadata: {} } }) as Schema));
  out.set("forklift.konveyor.io/v1beta1/Plan", (obj) => [
    ...planBody(obj),
    ...objectMeta((obj as { metadata?: unknown }).metadata).map((c) => ({ ...c, field: c.field === "<root>" ? "metadata" : `metadata.${c.field}` })),
  ]);
  for (const crd of crdsFor(KINDS)) {
    const schema = crd.spec.versions[0].schema.openAPIV3Schema as Schema;
    const body = fromAjv(ajv.compile(strict({ ...schema, properties: { ...(schema.properties as Schema), metadata: {} } }) as Schema));
    out.set(`${crd.spec.group}/${crd.spec.versions[0].name}/${crd.spec.names.kind}`, (obj) => [
      ...body(obj),
      ...objectMeta((obj as { metadata?: unknown }).metadata).map((c) => ({ ...c, field: c.field === "<root>" ? "metadata" : `metadata.${c.field}` })),
      ...celCauses(schema, obj, ""),
    ]);
  }
  return out;
}

// Validators built from the published schemas copied under test/fixtures/cozystack/ (see SOURCE.md there).
// Vendor keywords (x-cozystack-options, x-kubernetes-*) are why ajv runs with strict: false; ajv-formats knows the
// CRDs' date-time/int32/int64 formats, which would otherwise go unchecked with a warning per field on stderr.
import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { parse } from "yaml";

const fixtures = new URL("../../test/fixtures/cozystack/", import.meta.url);
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));

function compileJSON(file: string): ValidateFunction {
  return ajv.compile(JSON.parse(readFileSync(new URL(file, fixtures), "utf8")));
}

/** The served version's openAPIV3Schema of a CRD copy. */
function compileCRD(file: string): ValidateFunction {
  const crd = parse(readFileSync(new URL(file, fixtures), "utf8")) as {
    spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: object } }> };
  };
  const version = crd.spec.versions.find((v) => v.name === "v1beta1");
  if (!version) throw new Error(`${file}: no v1beta1 version`);
  return ajv.compile(version.schema.openAPIV3Schema);
}

export const schemas = {
  vmInstance: compileJSON("vm-instance.values.schema.json"),
  vmInstanceMain: compileJSON("vm-instance.values.schema.main.json"),
  vmDisk: compileJSON("vm-disk.values.schema.json"),
  forklift: {
    Provider: compileCRD("forklift/providers.crd.yaml"),
    Plan: compileCRD("forklift/plans.crd.yaml"),
    NetworkMap: compileCRD("forklift/networkmaps.crd.yaml"),
    StorageMap: compileCRD("forklift/storagemaps.crd.yaml"),
    Migration: compileCRD("forklift/migrations.crd.yaml"),
  } as Record<string, ValidateFunction>,
};

/** Asserts validity with the schema's own error text. */
export function mustValidate(fn: ValidateFunction, data: unknown, what: string): void {
  if (!fn(data)) throw new Error(`${what} does not match its published schema: ${ajv.errorsText(fn.errors)}`);
}

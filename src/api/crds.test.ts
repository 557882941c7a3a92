import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAllDocuments, stringify } from "yaml";
import { crdsFor, exactlyOneRule, re2Pattern, structural } from "./crds.ts";
import { KINDS } from "./kinds.ts";

const crds = crdsFor(KINDS);
const byKind = (kind: string) => {
  const crd = crds.find((c) => c.spec.names.kind === kind);
  assert.ok(crd, `no CRD for ${kind}`);
  return crd;
};
const schemaOf = (kind: string) => byKind(kind).spec.versions[0].schema.openAPIV3Schema as Record<string, Record<string, Record<string, unknown>>>;

/** Every node of a schema with its path, for rules that must hold everywhere. */
function* nodes(schema: unknown, path = ""): Generator<[string, Record<string, unknown>]> {
  if (!schema || typeof schema !== "object") return;
  const s = schema as Record<string, unknown>;
  yield [path, s];
  for (const [name, sub] of Object.entries((s.properties as Record<string, unknown>) ?? {})) yield* nodes(sub, `${path}.${name}`);
  if (s.items) yield* nodes(s.items, `${path}[]`);
  if (s.additionalProperties && typeof s.additionalProperties === "object") yield* nodes(s.additionalProperties, `${path}[*]`);
}

describe("CRDs generated from the schemas", () => {
  it("defines every landfall kind but the core ones, with the kind's names", () => {
    assert.deepEqual(crds.map((c) => c.spec.names.kind).sort(), ["Provider", "VMAction", "VMImage", "VMImport", "VMMigration", "VirtualMachine"]);
    for (const info of KINDS.filter((k) => k.kind !== "Secret" && k.kind !== "ConfigMap")) {
      const crd = byKind(info.kind);
      assert.equal(crd.apiVersion, "apiextensions.k8s.io/v1");
      assert.equal(crd.metadata.name, `${info.plural}.landfall.dev`);
      assert.equal(crd.spec.group, "landfall.dev");
      assert.equal(crd.spec.scope, "Namespaced");
      assert.deepEqual(crd.spec.names, {
        plural: info.plural,
        singular: info.singular,
        kind: info.kind,
        listKind: `${info.kind}List`,
        shortNames: info.shortNames,
        categories: ["landfall"],
      });
      const [version] = crd.spec.versions;
      assert.equal(crd.spec.versions.length, 1);
      assert.deepEqual([version.name, version.served, version.storage], ["v1beta1", true, true]);
      assert.deepEqual(version.subresources, { status: {} });
      assert.ok(version.additionalPrinterColumns.some((c) => c.name === "Age" && c.type === "date"));
    }
    // KubeVirt owns vm/vms: the CRDs must not claim them.
    assert.deepEqual(
      crds.map((c) => c.spec.names.shortNames),
      [["lfprov"], ["lfvmimg"], ["lfvm"], ["lfvmm"], ["lfvma"], ["lfvmimp"]],
    );
    assert.ok(byKind("VMMigration").spec.versions[0].additionalPrinterColumns.some((c) => c.name === "Phase" && c.jsonPath === ".status.phase"));
  });

  it("turns the VirtualMachine disk-origin oneOf into a CEL rule naming both fields", () => {
    const spec = schemaOf("VirtualMachine").properties.spec as Record<string, unknown>;
    assert.deepEqual(spec["x-kubernetes-validations"], [
      { rule: "has(self.imageRef) != has(self.importedDisk)", message: "exactly one of spec.imageRef or spec.importedDisk must be set" },
    ]);
    assert.equal(spec.oneOf, undefined);
    const source = (schemaOf("VMMigration").properties.spec as { properties: Record<string, Record<string, unknown>> }).properties.source;
    assert.deepEqual(source["x-kubernetes-validations"], [
      { rule: "has(self.vmName) != has(self.vmID)", message: "exactly one of spec.source.vmName or spec.source.vmID must be set" },
    ]);
    const vmsItem = (schemaOf("VMImport").properties.spec as { properties: Record<string, { items: Record<string, unknown> }> }).properties.vms.items;
    assert.deepEqual(vmsItem["x-kubernetes-validations"], [{ rule: "has(self.name) || has(self.id)", message: "at least one of spec.vms[].name or spec.vms[].id must be set" }]);
  });

  it("keeps to what a structural schema allows", () => {
    for (const crd of crds) {
      const root = crd.spec.versions[0].schema.openAPIV3Schema;
      assert.deepEqual(root.properties && Object.keys(root.properties as object).slice(0, 3), ["apiVersion", "kind", "metadata"]);
      assert.deepEqual((root.properties as Record<string, unknown>).metadata, { type: "object" });
      for (const [path, node] of nodes(root)) {
        const where = `${crd.spec.names.kind}${path}`;
        for (const banned of ["const", "patternProperties", "oneOf", "anyOf", "allOf", "not", "default", "$id"]) assert.equal(node[banned], undefined, `${where} has ${banned}`);
        assert.ok(typeof node.type === "string", `${where} has no type`);
        if (node.properties) assert.equal(node.additionalProperties, undefined, `${where} has properties and additionalProperties`);
        if (typeof node.pattern === "string") assert.doesNotMatch(node.pattern, /\\u[0-9A-Fa-f]{4}/, `${where} pattern uses \\u`);
      }
    }
    const spec = schemaOf("VirtualMachine").properties.spec as { properties: Record<string, Record<string, unknown>> };
    assert.deepEqual(spec.properties.firmware, { type: "string", enum: ["bios", "uefi"] });
    const labels = (schemaOf("VirtualMachine").properties.status as { properties: Record<string, Record<string, unknown>> }).properties.phase;
    assert.deepEqual(labels.enum, ["Pending", "Provisioning", "Running", "Stopped", "Failed"]);
    assert.equal((spec.properties.importedDisk as { properties: Record<string, { pattern?: string }> }).properties.path.pattern, "^[^\\x{0000}]+$");
  });

  it("maps records to additionalProperties and refuses what it cannot express", () => {
    const record = structural({ type: "object", patternProperties: { "^a": { type: "string", maxLength: 3 } } }, "x");
    assert.deepEqual(record, { type: "object", additionalProperties: { type: "string", maxLength: 3 } });
    assert.throws(() => structural({ oneOf: [{ required: ["a", "b"] }, { required: ["c"] }] }, "spec"), /spec: only oneOf\/anyOf branches/);
    assert.throws(() => structural({ anyOf: [{ const: "a" }, { const: 1 }] }, "spec.mixed"), /spec\.mixed: a union of literals of different types/);
    assert.equal(exactlyOneRule([{ required: ["a"] }, { required: ["b"] }, { required: ["c"] }], "s").rule, "[has(self.a), has(self.b), has(self.c)].filter(x, x).size() == 1");
    assert.equal(re2Pattern("^[^\\u0000]+$"), "^[^\\x{0000}]+$");
  });

  it("prints as YAML documents that parse back to the same objects", () => {
    const text = crds.map((c) => `---\n${stringify(c)}`).join("");
    const docs = parseAllDocuments(text);
    assert.ok(Array.isArray(docs));
    assert.equal(docs.length, crds.length);
    for (const [i, doc] of docs.entries()) {
      assert.deepEqual(doc.errors, []);
      assert.deepEqual(doc.toJS(), JSON.parse(JSON.stringify(crds[i])));
    }
  });
});

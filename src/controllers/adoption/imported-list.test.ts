import assert from "node:assert/strict";
import { test } from "node:test";
import type { ConfigMap } from "../../api/configmap.ts";
import type { KubeObject } from "../../api/meta.ts";
import { ADOPTION_PREFIXES, adoptedSelectors, importedKey, selectImported } from "./imported-list.ts";

const vm = (namespace: string, name: string, labels: Record<string, string> = {}): KubeObject => ({ apiVersion: "landfall.dev/v1beta1", kind: "VirtualMachine", metadata: { namespace, name, labels } });
const record = (namespace: string, vmName: string, data: Record<string, string>): ConfigMap => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { namespace, name: `vm-adopted-${vmName}` }, data: { vmName, ...data } });
const none = { plan: "", sourceType: "" };

test("VMs adopted under either prefix are listed once each, in (namespace, name) order; others are not", () => {
  const a = vm("prod", "web", { "landfall.dev/adopted": "true" });
  const b = vm("dev", "db", { "cozystack.io/adopted": "true" });
  const c = vm("dev", "plain");
  const d = vm("dev", "db-old", { "landfall.dev/adopted": "false" });
  const { rows } = selectImported([a, b, c, d, b], [], none);
  assert.deepEqual(
    rows.map((r) => importedKey(r.vm)),
    [importedKey(b), importedKey(a)],
  );
});

test("a namespace sorts before a longer one sharing its start, as the store orders lists", () => {
  const { rows } = selectImported([vm("a-b", "x", { "landfall.dev/adopted": "true" }), vm("a", "z", { "landfall.dev/adopted": "true" })], [], none);
  assert.deepEqual(
    rows.map((r) => r.vm.metadata.namespace),
    ["a", "a-b"],
  );
});

test("records come from the tracking ConfigMap of the VM in its namespace; the plan label wins over the record's plan", () => {
  const a = vm("prod", "web", { "cozystack.io/adopted": "true", "cozystack.io/original-plan": "wave-1" });
  const b = vm("prod", "db", { "landfall.dev/adopted": "true" });
  const cms = [record("prod", "web", { sourcePlan: "ignored", sourceType: "vmware", adoptedAt: "2026-01-01T00:00:00Z" }), record("prod", "db", { sourcePlan: "wave-2", sourceType: "forklift" }), record("dev", "web", { sourceType: "other-ns" })];
  const { rows, sourceTypes } = selectImported([a, b], cms, none);
  assert.deepEqual(
    rows.map((r) => [r.vm.metadata.name, r.record]),
    [
      ["db", { sourcePlan: "wave-2", sourceType: "forklift", adoptedAt: undefined }],
      ["web", { sourcePlan: "wave-1", sourceType: "vmware", adoptedAt: "2026-01-01T00:00:00Z" }],
    ],
  );
  assert.deepEqual(sourceTypes, ["forklift", "vmware"]);
});

test("plan (substring) and source type (exact) filter; the source types offered stay those of every VM", () => {
  const vms = [vm("p", "a", { "landfall.dev/adopted": "true", "landfall.dev/original-plan": "wave-1" }), vm("p", "b", { "landfall.dev/adopted": "true", "landfall.dev/original-plan": "wave-2" })];
  const cms = [record("p", "a", { sourceType: "vmware" }), record("p", "b", { sourceType: "forklift" })];
  assert.deepEqual(
    selectImported(vms, cms, { plan: "wave", sourceType: "forklift" }).rows.map((r) => r.vm.metadata.name),
    ["b"],
  );
  assert.deepEqual(
    selectImported(vms, cms, { plan: "-1", sourceType: "" }).rows.map((r) => r.vm.metadata.name),
    ["a"],
  );
  assert.deepEqual(selectImported(vms, cms, { plan: "", sourceType: "vmwarex" }).sourceTypes, ["forklift", "vmware"]);
});

test("one selector per prefix, each with the caller's selector", () => {
  assert.deepEqual(ADOPTION_PREFIXES, ["landfall.dev", "cozystack.io"]);
  assert.deepEqual(adoptedSelectors(" team=web "), ["landfall.dev/adopted=true,team=web", "cozystack.io/adopted=true,team=web"]);
  assert.deepEqual(adoptedSelectors(""), ["landfall.dev/adopted=true", "cozystack.io/adopted=true"]);
});

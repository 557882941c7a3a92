import assert from "node:assert/strict";
import { test } from "node:test";
import type { ConfigMap } from "../../api/configmap.ts";
import type { KubeObject } from "../../api/meta.ts";
import { ADOPTION_PREFIXES, adoptedSelectors, importedKey, importedRecord, matchesImported, recordName } from "./imported-list.ts";

const vm = (namespace: string, name: string, labels: Record<string, string> = {}): KubeObject => ({ apiVersion: "landfall.dev/v1beta1", kind: "VirtualMachine", metadata: { namespace, name, labels } });
const record = (namespace: string, vmName: string, data: Record<string, string>): ConfigMap => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { namespace, name: `vm-adopted-${vmName}` }, data: { vmName, ...data } });

test("a namespace sorts before a longer one sharing its start, as the store orders lists", () => {
  assert.ok(importedKey(vm("a", "z")) < importedKey(vm("a-b", "a")));
  assert.ok(importedKey(vm("a", "a")) < importedKey(vm("a", "b")));
});

test("the record comes from the VM's tracking ConfigMap; the plan label (either prefix) wins over the record's plan", () => {
  const web = vm("prod", "web", { "cozystack.io/adopted": "true", "cozystack.io/original-plan": "wave-1" });
  assert.equal(recordName(web), "vm-adopted-web");
  assert.deepEqual(importedRecord(web, record("prod", "web", { sourcePlan: "ignored", sourceType: "vmware", adoptedAt: "t" })), { sourcePlan: "wave-1", sourceType: "vmware", adoptedAt: "t" });
  const db = vm("prod", "db", { "landfall.dev/adopted": "true" });
  assert.deepEqual(importedRecord(db, record("prod", "db", { sourcePlan: "wave-2", sourceType: "forklift" })), { sourcePlan: "wave-2", sourceType: "forklift", adoptedAt: undefined });
  assert.deepEqual(importedRecord(db, undefined), { sourcePlan: undefined });
  assert.deepEqual(importedRecord(db, record("prod", "other", { sourceType: "x" })), { sourcePlan: undefined }, "a ConfigMap naming another VM is not its record");
});

test("plan (substring) and source type (exact) filter", () => {
  const r = { sourcePlan: "wave-12", sourceType: "vmware" };
  assert.equal(matchesImported(r, { plan: "", sourceType: "" }), true);
  assert.equal(matchesImported(r, { plan: " wave-1 ", sourceType: "vmware" }), true);
  assert.equal(matchesImported(r, { plan: "wave-2", sourceType: "" }), false);
  assert.equal(matchesImported(r, { plan: "", sourceType: "vmwar" }), false);
  assert.equal(matchesImported({}, { plan: "", sourceType: "vmware" }), false);
});

test("one selector per prefix, each with the caller's selector", () => {
  assert.deepEqual(ADOPTION_PREFIXES, ["landfall.dev", "cozystack.io"]);
  assert.deepEqual(adoptedSelectors(" team=web "), ["landfall.dev/adopted=true,team=web", "cozystack.io/adopted=true,team=web"]);
  assert.deepEqual(adoptedSelectors(""), ["landfall.dev/adopted=true", "cozystack.io/adopted=true"]);
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDuration, parseJsonPath, parseKindAndName, parseOutput, parseWaitFor, UsageError, valueAtPath } from "./args.ts";
import { contextFrom } from "./config.ts";
import { propagationFor } from "./commands/delete.ts";
import { evaluateWait } from "./commands/wait.ts";
import { isUnchanged, mergeForUpdate } from "./commands/apply.ts";
import { parseManifests } from "./manifests.ts";
import type { KubeObject } from "../api/meta.ts";

describe("CLI argument parsing", () => {
  it("accepts KIND NAME and KIND/NAME with any kind name", () => {
    assert.equal(parseKindAndName("vm", "web01").info.kind, "VirtualMachine");
    assert.deepEqual(
      (({ info, name }) => [info.kind, name])(parseKindAndName("vmm/move-web")),
      ["VMMigration", "move-web"],
    );
    assert.equal(parseKindAndName("VirtualMachines").info.plural, "virtualmachines");
    assert.throws(() => parseKindAndName("widget"), (e) => e instanceof UsageError && /known kinds: .*vmmigration \(vmmigrations, lfvmm, vmm\)/.test(e.message));
    assert.throws(() => parseKindAndName("vm/a", "b"), UsageError);
    assert.throws(() => parseKindAndName("vm/"), /no name/);
  });

  it("parses durations", () => {
    assert.equal(parseDuration("--timeout", "5m"), 300_000);
    assert.equal(parseDuration("--timeout", "1h30m"), 5_400_000);
    assert.equal(parseDuration("--timeout", "250ms"), 250);
    assert.equal(parseDuration("--timeout", "42"), 42_000);
    assert.equal(parseDuration("--timeout", " 0s "), 0);
    assert.throws(() => parseDuration("--timeout", "5 minutes"), (e) => e instanceof UsageError && e.message.startsWith('--timeout "5 minutes" is not a duration'));
    assert.throws(() => parseDuration("--timeout", "5mx"), UsageError);
  });

  it("parses --for forms", () => {
    assert.deepEqual(parseWaitFor("condition=Ready"), { kind: "condition", type: "Ready", status: "True" });
    assert.deepEqual(parseWaitFor("condition=Ready=false"), { kind: "condition", type: "Ready", status: "False" });
    assert.deepEqual(parseWaitFor("jsonpath='{.status.phase}'=Succeeded"), { kind: "jsonpath", path: ["status", "phase"], expression: "{.status.phase}", value: "Succeeded" });
    assert.deepEqual(parseWaitFor("delete"), { kind: "delete" });
    assert.throws(() => parseWaitFor("phase=Running"), UsageError);
    assert.deepEqual(parseJsonPath("{.status.disks[0].sha256}"), ["status", "disks", "0", "sha256"]);
    assert.equal(valueAtPath({ a: [{ b: 7 }] }, ["a", "0", "b"]), 7);
  });

  it("decides when a wait is met and says what it saw", () => {
    const obj = { apiVersion: "v", kind: "VirtualMachine", metadata: { name: "x" }, status: { phase: "Running", conditions: [{ type: "Ready", status: "False", reason: "Booting" }] } };
    assert.deepEqual(evaluateWait(parseWaitFor("condition=Ready"), obj), { met: false, observed: "Ready=False (Booting)" });
    assert.equal(evaluateWait(parseWaitFor("condition=Ready=False"), obj).met, true);
    assert.equal(evaluateWait(parseWaitFor("jsonpath={.status.phase}=Running"), obj).met, true);
    assert.equal(evaluateWait(parseWaitFor("delete"), obj).met, false);
    assert.equal(evaluateWait(parseWaitFor("delete"), undefined).met, true);
  });

  it("validates output formats and cascade policies", () => {
    assert.equal(parseOutput(undefined), "table");
    assert.equal(parseOutput("yaml"), "yaml");
    assert.throws(() => parseOutput("xml"), /use one of table, wide, json, yaml, name/);
    assert.equal(propagationFor("orphan"), "Orphan");
    assert.equal(propagationFor(undefined), undefined);
    assert.throws(() => propagationFor("never"), UsageError);
  });

  it("reads the current context of a config file", () => {
    const file = { "current-context": "lab", contexts: [{ name: "home", server: "http://a" }, { name: "lab", context: { server: "https://b", token: "t" } }] };
    assert.deepEqual(contextFrom(file, "cfg"), { server: "https://b", token: "t" });
    assert.throws(() => contextFrom({ "current-context": "x", contexts: [] }, "cfg"), /current-context "x"/);
  });
});

describe("apply decisions", () => {
  const stored: KubeObject = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "s", namespace: "default", uid: "u", resourceVersion: "7", finalizers: ["f"] },
    data: { p: Buffer.from("pw").toString("base64") },
  };

  it("sees a Secret given as stringData as unchanged, and a changed value as changed", () => {
    assert.ok(isUnchanged({ apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, stringData: { p: "pw" } }, stored));
    assert.ok(!isUnchanged({ apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, stringData: { p: "other" } }, stored));
  });

  it("keeps server-side finalizers and pins the stored resourceVersion", () => {
    const merged = mergeForUpdate({ apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "default" } }, stored);
    assert.deepEqual(merged.metadata.finalizers, ["f"]);
    assert.equal(merged.metadata.resourceVersion, "7");
  });

  it("reads multi-document YAML, JSON and Lists, and rejects objects without kind or name", () => {
    const objs = parseManifests("kind: ConfigMap\nmetadata: {name: a}\n---\n---\n{\"kind\": \"List\", \"items\": [{\"kind\": \"Secret\", \"metadata\": {\"name\": \"b\"}}]}\n", "f");
    assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.name}`), ["ConfigMap/a", "Secret/b"]);
    assert.throws(() => parseManifests("metadata: {name: a}\n", "f"), /document 1 has no kind/);
    assert.throws(() => parseManifests("kind: ConfigMap\nmetadata: {}\n", "f"), /has no metadata.name/);
    assert.throws(() => parseManifests("kind: [\n", "f"), /not valid YAML/);
  });
});

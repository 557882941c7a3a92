import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KubeObject } from "../../api/meta.ts";
import type { Provider } from "../../api/provider.ts";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { VMImport } from "../../api/vmimport.ts";
import type { VMMigration } from "../../api/vmmigration.ts";
import { importRefersTo, migrationRefersTo, providerChangeMatters, providerRefersTo, providerSpecChanged, secretChangeMatters, vmRefersTo } from "./dependents.ts";

const meta = (namespace: string, name: string, extra: Partial<KubeObject["metadata"]> = {}) => ({ name, namespace, ...extra });

describe("what refers to a Provider (index functions)", () => {
  it("a VirtualMachine refers to its providerRef, in its own namespace unless the ref names one", () => {
    const vm = (ref: { name: string; namespace?: string }) => ({ apiVersion: "landfall.dev/v1beta1", kind: "VirtualMachine", metadata: meta("team-a", "web"), spec: { providerRef: ref } }) as VirtualMachine;
    assert.deepEqual(vmRefersTo(vm({ name: "kvm" })), ["team-a/kvm"]);
    assert.deepEqual(vmRefersTo(vm({ name: "kvm", namespace: "infra" })), ["infra/kvm"]);
  });

  it("a VMMigration refers to its source and target Providers, once each", () => {
    const m = (source: { name: string; namespace?: string }, target: { name: string; namespace?: string }) =>
      ({ apiVersion: "landfall.dev/v1beta1", kind: "VMMigration", metadata: meta("team-a", "m"), spec: { source: { providerRef: source, vmName: "x" }, target: { providerRef: target } } }) as VMMigration;
    assert.deepEqual(migrationRefersTo(m({ name: "vc" }, { name: "kvm", namespace: "infra" })), ["team-a/vc", "infra/kvm"]);
    assert.deepEqual(migrationRefersTo(m({ name: "both" }, { name: "both" })), ["team-a/both"]);
  });

  it("a VMImport refers to its source and target Providers", () => {
    const i = { apiVersion: "landfall.dev/v1beta1", kind: "VMImport", metadata: meta("team-b", "i"), spec: { source: { providerRef: { name: "vc" } }, target: { providerRef: { name: "kvm", namespace: "infra" } }, vms: [] } } as unknown as VMImport;
    assert.deepEqual(importRefersTo(i), ["team-b/vc", "infra/kvm"]);
  });
});

describe("what a Provider refers to (index function)", () => {
  const provider = (spec: Partial<Provider["spec"]>) => ({ apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: meta("team-a", "p"), spec: { type: "vsphere", ...spec } }) as Provider;

  it("its credentials and kubeconfig Secrets, in its own namespace", () => {
    assert.deepEqual(providerRefersTo(provider({ credentialsRef: { name: "creds" } })), ["team-a/creds"]);
    assert.deepEqual(providerRefersTo(provider({ kubeconfigRef: { name: "kc" } } as Partial<Provider["spec"]>)), ["team-a/kc"]);
    assert.deepEqual(providerRefersTo(provider({})), []);
  });
});

describe("which changes matter to dependents", () => {
  const p = (generation: number, ready?: "True" | "False", extra: Partial<KubeObject["metadata"]> = {}, resourceVersion = "1") =>
    ({
      apiVersion: "landfall.dev/v1beta1",
      kind: "Provider",
      metadata: meta("team-a", "p", { generation, resourceVersion, ...extra }),
      status: ready ? { conditions: [{ type: "Ready", status: ready, lastTransitionTime: "2026-01-01T00:00:00Z" }], inventory: { vms: Number(resourceVersion) } } : undefined,
    }) as KubeObject;

  it("a Provider's spec change, deletion or Ready flip matters", () => {
    assert.equal(providerChangeMatters(p(1), p(2)), true);
    assert.equal(providerChangeMatters(p(1), p(1, undefined, { deletionTimestamp: "2026-01-01T00:00:00Z" })), true);
    assert.equal(providerChangeMatters(p(1, "False"), p(1, "True")), true);
    assert.equal(providerChangeMatters(p(1), p(1, "True")), true);
  });

  it("its other status writes (an inventory count) and a resync do not", () => {
    const a = p(1, "True", {}, "5");
    assert.equal(providerChangeMatters(a, p(1, "True", {}, "6")), false);
    assert.equal(providerChangeMatters(a, a), false);
  });

  it("the Provider controller itself reconciles a spec change or deletion, never its own status writes", () => {
    assert.equal(providerSpecChanged(p(1), p(2)), true);
    assert.equal(providerSpecChanged(p(1), p(1, undefined, { deletionTimestamp: "2026-01-01T00:00:00Z" })), true);
    assert.equal(providerSpecChanged(p(1, "False"), p(1, "True")), false);
    assert.equal(providerSpecChanged(p(1, "True", {}, "5"), p(1, "True", {}, "6")), false);
  });

  it("a Secret matters when it is a new version, not on a resync", () => {
    const s = (rv: string) => ({ apiVersion: "v1", kind: "Secret", metadata: meta("team-a", "creds", { resourceVersion: rv }) }) as KubeObject;
    assert.equal(secretChangeMatters(s("1"), s("2")), true);
    const same = s("1");
    assert.equal(secretChangeMatters(same, same), false);
  });
});

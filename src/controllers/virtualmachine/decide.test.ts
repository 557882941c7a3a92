// decideVM and friends with plain objects: no store, no libvirt.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { TargetVM } from "../../providers/contract.ts";
import {
  decideVM,
  needsFinalizer,
  domainNameFor,
  MISSING_PROVIDER_RECHECK_MS,
  missingProviderRecheckMs,
  domainUUIDFor,
  OWNER_UID_LABEL,
  ORPHAN_ANNOTATION,
  type PlannedDisk,
  pendingRestart,
  phaseFor,
  RESTART_ANNOTATION,
  restartRequired,
  SHUTDOWN_GRACE_ANNOTATION,
  SHUTDOWN_GRACE_MS,
  shutdownGraceFor,
  type VMAction,
  type VMObservation,
  VM_FINALIZER,
} from "./decide.ts";

const UID = "0b6c1f5e-3f53-4a44-9d49-2f1f2a7e0c01";
const NOW = Date.parse("2026-01-01T12:00:00Z");

function vm(over: { spec?: Partial<VirtualMachine["spec"]>; annotations?: Record<string, string>; deleting?: boolean; finalizers?: string[]; status?: VirtualMachine["status"] } = {}): VirtualMachine {
  return {
    apiVersion: "landfall.dev/v1beta1",
    kind: "VirtualMachine",
    metadata: {
      name: "web01",
      namespace: "team-a",
      uid: UID,
      finalizers: over.finalizers ?? [VM_FINALIZER],
      ...(over.annotations ? { annotations: over.annotations } : {}),
      ...(over.deleting ? { deletionTimestamp: "2026-01-01T11:59:00Z" } : {}),
    },
    // cpus/memory as the domain() fixture has them, so only tests about resources see a difference.
    spec: { providerRef: { name: "kvm" }, importedDisk: { diskID: "web01-disk0" }, cpus: 1, memoryMiB: 64, ...(over.spec ?? {}) },
    ...(over.status ? { status: over.status } : {}),
  } as VirtualMachine;
}

function domain(over: Partial<TargetVM> = {}): TargetVM {
  return {
    uuid: UID,
    name: "team-a--web01",
    state: "running",
    cpus: 1,
    memoryMiB: 64,
    firmware: "bios",
    disks: [],
    nics: [],
    labels: { [OWNER_UID_LABEL]: UID },
    ...over,
  };
}

const disk = (over: Partial<PlannedDisk> = {}): PlannedDisk => ({ diskID: "web01-disk0", path: "/pool/web01-disk0.qcow2", format: "qcow2", bus: "virtio", exists: true, ...over });

function observe(over: Partial<VMObservation> = {}): VMObservation {
  const v = over.vm ?? vm();
  return { vm: v, now: NOW, providerReady: true, diskProblems: [], disks: [disk()], domainName: domainNameFor(v), ...over };
}

const types = (actions: VMAction[]) => actions.map((a) => a.type);

describe("decideVM: deletion", () => {
  it("deletes our domain keeping disks, then releases the finalizer", () => {
    const actions = decideVM(observe({ vm: vm({ deleting: true }), domain: domain() }));
    assert.deepEqual(actions, [{ type: "deleteDomain", uuid: UID, keepDisks: true }, { type: "removeFinalizer" }]);
  });

  it("removes disks only when asked to", () => {
    const actions = decideVM(observe({ vm: vm({ deleting: true, annotations: { "landfall.dev/delete-disks": "true" } }), domain: domain() }));
    assert.deepEqual(actions[0], { type: "deleteDomain", uuid: UID, keepDisks: false });
  });

  it("orphan: forgets the resource and leaves the domain alone but for landfall's own ownership labels", () => {
    const actions = decideVM(observe({ vm: vm({ deleting: true, annotations: { [ORPHAN_ANNOTATION]: "true" } }), domain: domain() }));
    assert.deepEqual(actions, [{ type: "releaseDomain", uuid: UID }, { type: "removeFinalizer" }]);
  });

  it("orphan of a domain we do not own releases nothing", () => {
    const foreign = domain({ labels: { [OWNER_UID_LABEL]: "someone-else" } });
    const actions = decideVM(observe({ vm: vm({ deleting: true, annotations: { [ORPHAN_ANNOTATION]: "true" } }), domain: foreign }));
    assert.deepEqual(actions, [{ type: "removeFinalizer" }]);
  });

  it("never deletes a domain another VirtualMachine owns", () => {
    const foreign = domain({ labels: { [OWNER_UID_LABEL]: "someone-else" } });
    assert.deepEqual(decideVM(observe({ vm: vm({ deleting: true }), domain: foreign })), [{ type: "removeFinalizer" }]);
  });

  it("waits for the provider rather than dropping the finalizer with the domain still there", () => {
    const actions = decideVM(observe({ vm: vm({ deleting: true }), domain: domain(), providerReady: false, providerMessage: "unreachable" }));
    assert.deepEqual(types(actions), ["wait"]);
  });

  it("does nothing once the finalizer is gone", () => {
    assert.deepEqual(decideVM(observe({ vm: vm({ deleting: true, finalizers: [] }), domain: domain() })), []);
  });
});

describe("decideVM: creating the domain", () => {
  it("adds the finalizer before touching anything, and never to a VirtualMachine being deleted", () => {
    assert.equal(needsFinalizer(vm({ finalizers: [] })), true);
    assert.equal(needsFinalizer(vm({})), false);
    assert.equal(needsFinalizer(vm({ deleting: true, finalizers: [] })), false);
  });

  it("fails with TargetExists when a foreign domain holds our name", () => {
    const other = domain({ uuid: "11111111-2222-3333-4444-555555555555", labels: {} });
    const [action, ...rest] = decideVM(observe({ domainWithName: other }));
    assert.equal(rest.length, 0);
    assert.equal(action.type, "fail");
    assert.equal(action.type === "fail" && action.reason, "TargetExists");
    assert.match(action.type === "fail" ? action.message : "", /team-a--web01.*11111111-2222-3333-4444-555555555555/);
  });

  it("grows a smaller disk before defining the domain", () => {
    const small = disk({ sizeBytes: 2 ** 30, virtualSizeBytes: 8 << 20 });
    const actions = decideVM(observe({ disks: [small] }));
    assert.deepEqual(types(actions), ["growDisk", "defineDomain"]);
  });

  it("never shrinks a disk", () => {
    const big = disk({ sizeBytes: 2 ** 30, virtualSizeBytes: 2 ** 31 });
    assert.deepEqual(types(decideVM(observe({ disks: [big] }))), ["defineDomain"]);
  });

  it("builds an overlay for an imageRef disk, then defines the domain with the VM's identity", () => {
    const overlay = disk({ exists: false, backing: { path: "/pool/base.qcow2", format: "qcow2" } });
    const actions = decideVM(observe({ vm: vm({ spec: { importedDisk: undefined, imageRef: { name: "base" } } }), disks: [overlay] }));
    assert.deepEqual(types(actions), ["createOverlay", "defineDomain"]);
    const define = actions[1];
    assert.ok(define.type === "defineDomain");
    assert.equal(define.spec.uuid, UID);
    assert.equal(define.spec.name, "team-a--web01");
    assert.equal(define.spec.labels?.[OWNER_UID_LABEL], UID);
  });

  it("waits for an imported disk that is not there yet", () => {
    assert.deepEqual(types(decideVM(observe({ disks: [disk({ exists: false })] }))), ["wait"]);
  });

  it("fails on disk problems such as a path outside storage", () => {
    const actions = decideVM(observe({ diskProblems: ["spec.importedDisk.path \"/etc/passwd\" is outside storage pool"] }));
    assert.deepEqual(types(actions), ["fail"]);
  });
});

describe("decideVM: an existing domain", () => {
  it("claims an unlabelled domain with our UUID (defined before a crash) and starts it", () => {
    const actions = decideVM(observe({ domain: domain({ labels: {}, state: "shutoff" }) }));
    assert.deepEqual(actions, [{ type: "claimDomain", uuid: UID }, { type: "power", uuid: UID, action: "start" }]);
  });

  it("refuses a domain with our UUID that another VirtualMachine owns", () => {
    const actions = decideVM(observe({ domain: domain({ labels: { [OWNER_UID_LABEL]: "other" } }) }));
    assert.deepEqual(types(actions), ["fail"]);
    assert.equal(actions[0].type === "fail" && actions[0].reason, "TargetExists");
  });

  it("is idle when the domain is as wanted", () => {
    assert.deepEqual(decideVM(observe({ domain: domain() })), []);
    assert.deepEqual(decideVM(observe({ vm: vm({ spec: { powerState: "Off" } }), domain: domain({ state: "shutoff" }) })), []);
  });

  it("shuts down a paused domain when Off (paused still holds the guest in memory)", () => {
    const actions = decideVM(observe({ vm: vm({ spec: { powerState: "Off" } }), domain: domain({ state: "paused" }) }));
    assert.deepEqual(actions, [{ type: "power", uuid: UID, action: "shutdown" }]);
  });
});

describe("decideVM: power off with grace", () => {
  const off = (status?: VirtualMachine["status"], annotations?: Record<string, string>) => vm({ spec: { powerState: "Off" }, status, annotations });
  const asked = (msAgo: number): VirtualMachine["status"] => ({
    conditions: [{ type: "ShutdownRequested", status: "True", reason: "PowerStateOff", lastTransitionTime: new Date(NOW - msAgo).toISOString() }],
  });

  it("asks the guest first (ACPI shutdown)", () => {
    assert.deepEqual(decideVM(observe({ vm: off(), domain: domain() })), [{ type: "power", uuid: UID, action: "shutdown" }]);
  });

  it("keeps asking within the grace period", () => {
    const actions = decideVM(observe({ vm: off(asked(SHUTDOWN_GRACE_MS - 1)), domain: domain() }));
    assert.deepEqual(actions, [{ type: "power", uuid: UID, action: "shutdown" }]);
  });

  it("powers off hard once the grace period is over", () => {
    const actions = decideVM(observe({ vm: off(asked(SHUTDOWN_GRACE_MS + 1)), domain: domain() }));
    assert.deepEqual(actions, [{ type: "power", uuid: UID, action: "stop" }]);
  });

  it("honours a per-VM grace annotation", () => {
    const vmWithGrace = off(asked(2_500), { [SHUTDOWN_GRACE_ANNOTATION]: "2" });
    assert.deepEqual(decideVM(observe({ vm: vmWithGrace, domain: domain() })), [{ type: "power", uuid: UID, action: "stop" }]);
    const notYet = off(asked(1_500), { [SHUTDOWN_GRACE_ANNOTATION]: "2" });
    assert.deepEqual(decideVM(observe({ vm: notYet, domain: domain() })), [{ type: "power", uuid: UID, action: "shutdown" }]);
  });

  it("fails naming the annotation when its value is not a number of seconds", () => {
    const bad = off(undefined, { [SHUTDOWN_GRACE_ANNOTATION]: "2m" });
    const actions = decideVM(observe({ vm: bad, domain: domain() }));
    assert.equal(actions.length, 1);
    assert.ok(actions[0].type === "fail");
    assert.match(actions[0].message, /landfall\.dev\/shutdown-grace-seconds "2m"/);
    assert.deepEqual(shutdownGraceFor(vm()), { ms: SHUTDOWN_GRACE_MS });
  });

  it("starts a stopped domain when On again", () => {
    assert.deepEqual(decideVM(observe({ domain: domain({ state: "shutoff" }) })), [{ type: "power", uuid: UID, action: "start" }]);
  });
});

describe("naming, identity and phase", () => {
  it("prefixes the domain name with a non-default namespace", () => {
    assert.equal(domainNameFor(vm()), "team-a--web01");
    const inDefault = vm();
    inDefault.metadata.namespace = "default";
    assert.equal(domainNameFor(inDefault), "web01");
    assert.equal(domainNameFor(vm({ status: { domainName: "kept" } })), "kept");
  });

  it("prefers status.providerID, then spec.uuid, then the uid", () => {
    assert.equal(domainUUIDFor(vm()), UID);
    assert.equal(domainUUIDFor(vm({ spec: { uuid: "aaaaaaaa-0000-0000-0000-000000000000" } })), "aaaaaaaa-0000-0000-0000-000000000000");
    assert.equal(domainUUIDFor(vm({ status: { providerID: "p" }, spec: { uuid: "s" } })), "p");
  });

  it("summarises the phase", () => {
    assert.equal(phaseFor({ vm: vm() }, false), "Pending");
    assert.equal(phaseFor({ vm: vm({ status: { providerID: UID } }) }, false), "Provisioning");
    assert.equal(phaseFor({ vm: vm(), domain: domain() }, false), "Running");
    assert.equal(phaseFor({ vm: vm(), domain: domain({ state: "shutoff" }) }, false), "Stopped");
    assert.equal(phaseFor({ vm: vm(), domain: domain() }, true), "Failed");
  });
});

describe("decideVM: tenancy", () => {
  it("fails with ProviderNotAllowed when the Provider is not open to the VM's namespace", () => {
    const actions = decideVM(observe({ tenancyRefusal: 'spec.providerRef: Provider "infra/kvm" is not open to namespace "team-a"', providerReady: false, disks: [] }));
    assert.deepEqual(actions, [{ type: "fail", reason: "ProviderNotAllowed", message: 'spec.providerRef: Provider "infra/kvm" is not open to namespace "team-a"' }]);
  });
});

describe("decideVM: CPUs and memory", () => {
  it("applies changed CPUs/memory to a stopped domain before starting it", () => {
    const stopped = domain({ state: "shutoff", cpus: 1, memoryMiB: 64 });
    const actions = decideVM(observe({ vm: vm({ spec: { cpus: 2, memoryMiB: 128 } }), domain: stopped }));
    assert.deepEqual(actions[0], { type: "setResources", uuid: UID, cpus: 2, memoryMiB: 128 });
  });

  it("leaves a running domain alone and reports that a restart is required", () => {
    const running = domain({ state: "running", cpus: 1, memoryMiB: 64 });
    const v = vm({ spec: { cpus: 2, memoryMiB: 64 } });
    assert.equal(decideVM(observe({ vm: v, domain: running })).some((a) => a.type === "setResources"), false);
    assert.equal(restartRequired(v, running), true);
    assert.equal(restartRequired(vm({ spec: { cpus: 1, memoryMiB: 64 } }), running), false);
  });
});

describe("decideVM: restart requested through the annotation (kubectl, GitOps)", () => {
  const asked = "2026-01-01T11:59:30.000Z";
  const requested = (status?: VirtualMachine["status"], spec?: Partial<VirtualMachine["spec"]>) => vm({ annotations: { [RESTART_ANNOTATION]: asked }, status, spec });

  it("reboots a running domain once and records the request", () => {
    assert.deepEqual(decideVM(observe({ vm: requested(), domain: domain() })), [
      { type: "power", uuid: UID, action: "reboot" },
      { type: "acknowledgeRestart", request: asked },
    ]);
  });

  it("does nothing more once status names the same request; a new value asks again", () => {
    assert.deepEqual(decideVM(observe({ vm: requested({ observedRestartRequest: asked }), domain: domain() })), []);
    assert.equal(pendingRestart(requested({ observedRestartRequest: "2026-01-01T11:00:00.000Z" })), asked);
    assert.equal(pendingRestart(vm()), undefined);
  });

  it("never reboots a domain that should stay off, nor reboots one it starts now", () => {
    assert.deepEqual(decideVM(observe({ vm: requested(undefined, { powerState: "Off" }), domain: domain({ state: "shutoff" }) })), [{ type: "acknowledgeRestart", request: asked }]);
    assert.deepEqual(decideVM(observe({ vm: requested(), domain: domain({ state: "shutoff" }) })), [
      { type: "power", uuid: UID, action: "start" },
      { type: "acknowledgeRestart", request: asked },
    ]);
    assert.deepEqual(types(decideVM(observe({ vm: requested() }))), ["defineDomain", "acknowledgeRestart"]);
  });
});

describe("decideVM: a Provider that does not exist", () => {
  const waitingSince = (ms: number, reason = "ProviderNotFound") =>
    vm({ status: { conditions: [{ type: "Ready", status: "False", reason, lastTransitionTime: new Date(NOW - ms).toISOString() }] } });

  it("waits with reason ProviderNotFound, not ProviderNotReady", () => {
    const [action] = decideVM(observe({ vm: vm(), providerReady: false, providerMissing: true, providerMessage: 'spec.providerRef: Provider "kvm" not found' }));
    assert.deepEqual(action, { type: "wait", reason: "ProviderNotFound", message: 'spec.providerRef: Provider "kvm" not found', requeueAfterMs: MISSING_PROVIDER_RECHECK_MS.min });
  });

  it("backs off: each poll waits as long as the VM has waited so far, from 10 s up to 5 min", () => {
    assert.equal(missingProviderRecheckMs(vm(), NOW), 10_000);
    assert.equal(missingProviderRecheckMs(waitingSince(10_000), NOW), 10_000);
    assert.equal(missingProviderRecheckMs(waitingSince(20_000), NOW), 20_000);
    assert.equal(missingProviderRecheckMs(waitingSince(80_000), NOW), 80_000);
    assert.equal(missingProviderRecheckMs(waitingSince(3_600_000), NOW), 300_000);
  });

  it("starts again from 10 s when the VM was waiting for something else", () => {
    assert.equal(missingProviderRecheckMs(waitingSince(3_600_000, "ProviderNotReady"), NOW), 10_000);
    assert.equal(missingProviderRecheckMs(vm({ status: { conditions: [{ type: "Ready", status: "True", reason: "Running", lastTransitionTime: new Date(NOW - 3_600_000).toISOString() }] } }), NOW), 10_000);
  });

  it("a Provider that exists but is not ready is still polled every 10 s", () => {
    const [action] = decideVM(observe({ vm: waitingSince(3_600_000), providerReady: false, providerMessage: "unreachable" }));
    assert.equal(action?.type === "wait" && action.requeueAfterMs, 10_000);
  });
});

import assert from "node:assert/strict";
import { test } from "node:test";
import type { VirtualMachineGuest } from "../../api/guest.ts";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { TargetVM } from "../../providers/contract.ts";
import { domainSpecFor } from "./decide.ts";
import { AGENT_POLL_MS, AGENT_REFRESH_MS, AGENT_WAIT_MS, agentCheckFor, agentRequeueMs, guestStatusFrom } from "./guest-agent.ts";

const started = Date.parse("2026-11-30T08:00:00Z");
const running = { state: "running" } as TargetVM;

function vm(guest?: VirtualMachineGuest): VirtualMachine {
  return {
    apiVersion: "landfall.dev/v1beta1",
    kind: "VirtualMachine",
    metadata: { name: "web01", namespace: "default" },
    spec: { providerRef: { name: "kvm" }, importedDisk: { diskID: "web01" } },
    status: {
      conditions: [{ type: "Ready", status: "True", reason: "Running", message: "", lastTransitionTime: new Date(started).toISOString() }],
      guest,
    },
  } as VirtualMachine;
}
const at = (ms: number) => new Date(started + ms).toISOString();

test("after boot the agent is asked, then not again before AGENT_POLL_MS (status writes re-trigger reconcile)", () => {
  assert.deepEqual(agentCheckFor(vm(), running, started + 1000), { type: "ask" });
  const asked = vm({ os: "unknown", agentReachable: false, checkedAt: at(1000) });
  const check = agentCheckFor(asked, running, started + 3000);
  assert.deepEqual(check, { type: "later", afterMs: AGENT_POLL_MS - 2000 });
  assert.equal(agentRequeueMs(check, false), AGENT_POLL_MS - 2000);
  assert.deepEqual(agentCheckFor(asked, running, started + 1000 + AGENT_POLL_MS), { type: "ask" });
});

test("the wait is bounded: after AGENT_WAIT_MS landfall gives up once, with a message, and stops asking", () => {
  const waiting = vm({ os: "unknown", agentReachable: false, checkedAt: at(AGENT_WAIT_MS - 5000) });
  const check = agentCheckFor(waiting, running, started + AGENT_WAIT_MS + 1);
  assert.equal(check.type, "giveUp");
  const gaveUp = guestStatusFrom(waiting.status?.guest, undefined, at(AGENT_WAIT_MS + 1), check.type === "giveUp" ? check.message : "");
  assert.match(gaveUp.message ?? "", /qemu-guest-agent/);
  assert.deepEqual(agentCheckFor(vm(gaveUp), running, started + AGENT_WAIT_MS + 60_000), { type: "none" });
});

test("a reachable agent is refreshed every AGENT_REFRESH_MS; stopped domains and VMs not Ready are never asked", () => {
  const reachable = vm({ os: "linux", agentReachable: true, checkedAt: at(20_000), ipAddresses: ["10.0.2.15"] });
  assert.deepEqual(agentCheckFor(reachable, running, started + 30_000), { type: "none" });
  assert.deepEqual(agentCheckFor(reachable, running, started + 20_000 + AGENT_REFRESH_MS), { type: "ask" });
  assert.deepEqual(agentCheckFor(vm(), { state: "shutoff" } as TargetVM, started + 1000), { type: "none" });
  const notReady = vm();
  notReady.status = { conditions: [] };
  assert.deepEqual(agentCheckFor(notReady, running, started + 1000), { type: "none" });
});

test("guest status from the agent's answer: identity and addresses; without an answer the inspection's identity stays", () => {
  const answered = guestStatusFrom(undefined, { os: "linux", distro: "debian", version: "12", hostname: "g", ipAddresses: ["10.0.2.15"] }, at(0));
  assert.deepEqual(answered, { os: "linux", distro: "debian", version: "12", hostname: "g", ipAddresses: ["10.0.2.15"], agentReachable: true, checkedAt: at(0) });
  const silent = guestStatusFrom({ os: "linux", distro: "debian", agentReachable: false }, undefined, at(1));
  assert.equal(silent.distro, "debian");
  assert.equal(silent.agentReachable, false);
});

test("the domain gets the VM's cpuModel and machineType (a migration sets q35 for a converted guest)", () => {
  const v = vm();
  v.metadata.uid = "4003887c-4194-4a1d-97b1-600a5dddeae0";
  v.spec.machineType = "q35";
  v.spec.cpuModel = "Nehalem";
  const spec = domainSpecFor(v, [], "web01");
  assert.equal(spec.machineType, "q35");
  assert.equal(spec.cpuModel, "Nehalem");
  const plain = domainSpecFor(vm(), [], "web01");
  assert.equal(plain.machineType, undefined);
  assert.equal(plain.cpuModel, undefined);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { powerCommandFor, powerStateFromDomstate } from "./power.ts";

test("virsh domstate words map to TargetPowerState", () => {
  assert.equal(powerStateFromDomstate("running\n\n"), "running");
  assert.equal(powerStateFromDomstate("shut off\n"), "shutoff");
  assert.equal(powerStateFromDomstate("paused"), "paused");
  assert.equal(powerStateFromDomstate("in shutdown"), "shutdown");
  assert.equal(powerStateFromDomstate("crashed"), "crashed");
  assert.equal(powerStateFromDomstate("pmsuspended"), "paused");
  assert.equal(powerStateFromDomstate("something new"), "unknown");
});

test("power actions are idempotent: no command when the VM is already there", () => {
  assert.equal(powerCommandFor("running", "start"), undefined);
  assert.equal(powerCommandFor("shutoff", "stop"), undefined);
  assert.equal(powerCommandFor("shutoff", "shutdown"), undefined);
  assert.equal(powerCommandFor("shutdown", "shutdown"), undefined);
});

test("power actions choose the virsh command that moves the VM", () => {
  assert.equal(powerCommandFor("shutoff", "start"), "start");
  assert.equal(powerCommandFor("crashed", "start"), "start");
  assert.equal(powerCommandFor("paused", "start"), "resume");
  assert.equal(powerCommandFor("running", "shutdown"), "shutdown");
  assert.equal(powerCommandFor("running", "stop"), "destroy");
  assert.equal(powerCommandFor("shutdown", "stop"), "destroy", "stop forces a guest that is slow to shut down");
  assert.equal(powerCommandFor("running", "reboot"), "reboot");
  assert.equal(powerCommandFor("shutoff", "reboot"), "start");
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError } from "../api/errors.ts";
import { AlwaysLeader, decideLease, type Lease, type LeaseClient, LeaseElector } from "./leader.ts";
import { eventually } from "./testkit.ts";

/** Leases in memory with resourceVersion semantics; `cut` makes one identity's calls fail (a partition). */
class MemoryLeases {
  #leases = new Map<string, Lease>();
  #rv = 0;
  cut = new Set<string>();
  as(identity: string): LeaseClient {
    const check = () => {
      if (this.cut.has(identity)) throw new Error(`${identity}: connection refused`);
    };
    return {
      get: async (ns, name) => {
        check();
        return structuredClone(this.#leases.get(`${ns}/${name}`));
      },
      create: async (lease) => {
        check();
        const k = `${lease.metadata.namespace}/${lease.metadata.name}`;
        if (this.#leases.has(k)) throw new ApiError("AlreadyExists", `lease ${k} exists`);
        const stored = { ...structuredClone(lease), metadata: { ...lease.metadata, resourceVersion: String(++this.#rv) } };
        this.#leases.set(k, stored);
        return structuredClone(stored);
      },
      update: async (lease) => {
        check();
        const k = `${lease.metadata.namespace}/${lease.metadata.name}`;
        const cur = this.#leases.get(k);
        if (!cur || cur.metadata.resourceVersion !== lease.metadata.resourceVersion) throw new ApiError("Conflict", `lease ${k} is stale`);
        const stored = { ...structuredClone(lease), metadata: { ...lease.metadata, resourceVersion: String(++this.#rv) } };
        this.#leases.set(k, stored);
        return structuredClone(stored);
      },
    };
  }
  holder(): string | undefined {
    return this.#leases.get("sys/landfall")?.spec.holderIdentity;
  }
}

const timing = { leaseDurationMs: 400, renewDeadlineMs: 300, retryPeriodMs: 40 };

function elector(leases: MemoryLeases, identity: string) {
  const log: string[] = [];
  const e = new LeaseElector({ client: leases.as(identity), namespace: "sys", name: "landfall", identity, ...timing });
  const done = e.run(
    () => {
      log.push("started");
    },
    () => {
      log.push("stopped");
    },
  );
  return { e, log, done };
}

describe("LeaseElector", () => {
  it("lets exactly one of two electors lead", async () => {
    const leases = new MemoryLeases();
    const a = elector(leases, "a");
    const b = elector(leases, "b");
    try {
      await eventually(() => a.e.isLeader() || b.e.isLeader(), 3000, "a leader");
      // Over several renew periods, never two leaders, and the lease names the one that leads.
      for (let i = 0; i < 10; i++) {
        assert.notEqual(a.e.isLeader(), b.e.isLeader(), "exactly one leads");
        assert.equal(leases.holder(), a.e.isLeader() ? "a" : "b");
        await new Promise((r) => setTimeout(r, 30));
      }
    } finally {
      await a.e.stop();
      await b.e.stop();
    }
  });

  it("hands over after leaseDuration when the leader stops renewing, and the old leader steps down", async () => {
    const leases = new MemoryLeases();
    const a = elector(leases, "a");
    await eventually(() => a.e.isLeader(), 3000, "a leads");
    const b = elector(leases, "b");
    try {
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(b.e.isLeader(), false, "b waits while a renews");
      const cutAt = performance.now();
      leases.cut.add("a"); // a can no longer reach the API server
      await eventually(() => b.e.isLeader(), 3000, "b takes over");
      const tookMs = performance.now() - cutAt;
      assert.ok(tookMs >= timing.leaseDurationMs - 50, `b waited for the lease to expire (${Math.round(tookMs)} ms)`);
      await eventually(() => !a.e.isLeader(), 3000, "a steps down");
      assert.deepEqual(a.log, ["started", "stopped"]);
      assert.equal(leases.holder(), "b");
    } finally {
      leases.cut.clear();
      await a.e.stop();
      await b.e.stop();
    }
  });

  it("releases the lease on stop so the other takes over without waiting", async () => {
    const leases = new MemoryLeases();
    const a = elector(leases, "a");
    await eventually(() => a.e.isLeader(), 3000, "a leads");
    const b = elector(leases, "b");
    try {
      await a.e.stop();
      await a.done;
      assert.deepEqual(a.log, ["started", "stopped"]);
      const t0 = performance.now();
      await eventually(() => b.e.isLeader(), 3000, "b takes over");
      assert.ok(performance.now() - t0 < timing.leaseDurationMs, "no wait for expiry after a release");
    } finally {
      await b.e.stop();
    }
  });

  it("decideLease: create, renew own, take released or stale, wait otherwise", () => {
    const lease = (holder: string, renew = "t1"): Lease => ({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: "l", namespace: "n" },
      spec: { holderIdentity: holder, renewTime: renew },
    });
    assert.deepEqual(decideLease(undefined, undefined, "me", 0, 1000), { action: "create" });
    assert.deepEqual(decideLease(lease("me"), undefined, "me", 0, 1000), { action: "take", transition: false });
    assert.deepEqual(decideLease(lease(""), undefined, "me", 0, 1000), { action: "take", transition: true });
    const seen = { record: "other|t1|0", at: 5000 };
    assert.deepEqual(decideLease(lease("other"), seen, "me", 5999, 1000), { action: "wait", holder: "other" });
    assert.deepEqual(decideLease(lease("other"), seen, "me", 6000, 1000), { action: "take", transition: true });
    assert.deepEqual(decideLease(lease("other", "t2"), seen, "me", 9000, 1000), { action: "wait", holder: "other" }, "a renewed record is not stale");
  });

  it("rejects a renew deadline that is not below the lease duration", () => {
    assert.throws(
      () => new LeaseElector({ client: new MemoryLeases().as("x"), namespace: "n", name: "l", identity: "x", leaseDurationMs: 100, renewDeadlineMs: 100 }),
      /renewDeadlineMs 100 must be below leaseDurationMs 100/,
    );
  });
});

describe("AlwaysLeader", () => {
  it("leads at once and stops on stop()", async () => {
    const l = new AlwaysLeader();
    const log: string[] = [];
    let signal: AbortSignal | undefined;
    const done = l.run(
      (s) => {
        signal = s;
        log.push("started");
      },
      () => {
        log.push("stopped");
      },
    );
    await eventually(() => l.isLeader(), 1000, "leading");
    assert.equal(signal?.aborted, false);
    await l.stop();
    await done;
    assert.deepEqual(log, ["started", "stopped"]);
    assert.equal(signal?.aborted, true);
    assert.equal(l.isLeader(), false);
  });
});

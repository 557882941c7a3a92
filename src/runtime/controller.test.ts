import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Registry } from "prom-client";
import { ApiError } from "../api/errors.ts";
import type { KubeObject } from "../api/meta.ts";
import { openSqliteStore, type SqliteStore } from "../store/sqlite/index.ts";
import { Controller, type Reconcile } from "./controller.ts";
import { EventRecorder } from "./events.ts";
import { enqueueOwners, enqueueReferrers } from "./mappers.ts";
import { ownerReferenceFor } from "./owners.ts";
import { SharedInformers } from "./shared-informers.ts";
import { patchStatus } from "./status.ts";
import { configMap, eventually } from "./testkit.ts";

interface ToyStatus {
  observedGeneration?: number;
  phase?: string;
}
type Toy = KubeObject & { spec: { cpus: number }; status?: ToyStatus };

function vm(namespace: string, name: string, cpus = 1): Toy {
  return { apiVersion: "landfall.dev/v1beta1", kind: "VirtualMachine", metadata: { name, namespace }, spec: { cpus } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Controller (sqlite store)", () => {
  let store: SqliteStore;
  const running: Controller<Toy>[] = [];
  before(async () => {
    store = await openSqliteStore({ path: ":memory:" });
  });
  after(async () => {
    await Promise.all(running.map((c) => c.stop(2000)));
    await store.close();
  });

  function controller(ns: string, reconcile: Reconcile<Toy>, extra: Partial<ConstructorParameters<typeof Controller<Toy>>[0]> = {}) {
    const c = new Controller<Toy>({ name: `toy-${ns}`, kind: "VirtualMachine", store, namespace: ns, reconcile, resyncMs: 0, ...extra });
    running.push(c);
    return c;
  }

  it("converges: status.observedGeneration follows spec changes, then goes quiet", async () => {
    const ns = "ctl-converge";
    let reconciles = 0;
    const c = controller(ns, async (key, ctx) => {
      reconciles++;
      if (!ctx.cached) return;
      await patchStatus<Toy>(ctx.store, "VirtualMachine", key.namespace, key.name, (status, obj) => {
        status.observedGeneration = obj.metadata.generation;
        status.phase = "Running";
      });
    });
    await store.create(vm(ns, "web"));
    await c.start();
    const observed = async () => (await store.get<Toy>("VirtualMachine", ns, "web")).status?.observedGeneration;
    await eventually(async () => (await observed()) === 1, 5000, "observedGeneration 1");
    for (const cpus of [2, 4]) {
      const cur = await store.get<Toy>("VirtualMachine", ns, "web");
      await store.update({ ...cur, spec: { cpus } });
    }
    const gen = (await store.get<Toy>("VirtualMachine", ns, "web")).metadata.generation;
    assert.equal(gen, 3);
    await eventually(async () => (await observed()) === 3, 5000, "observedGeneration 3");
    // The last status write wakes the controller once more; that reconcile changes nothing and writes nothing.
    await sleep(150);
    const settled = reconciles;
    const rv = (await store.get<Toy>("VirtualMachine", ns, "web")).metadata.resourceVersion;
    await sleep(200);
    assert.equal(reconciles, settled, "no reconcile loop once converged");
    assert.equal((await store.get<Toy>("VirtualMachine", ns, "web")).metadata.resourceVersion, rv, "no-op status write skipped");
    assert.equal(await c.stop(), true);
  });

  it("retries a failing reconcile with growing backoff, logs the key, never crashes, and counts errors", async () => {
    const ns = "ctl-errors";
    const registry = new Registry();
    const attempts: Array<{ at: number; attempt: number }> = [];
    const lines: string[] = [];
    const { createLogger } = await import("./logger.ts");
    const c = controller(
      ns,
      async (_key, ctx) => {
        attempts.push({ at: performance.now(), attempt: ctx.attempt });
        if (attempts.length <= 3) throw new Error(`provider unreachable (try ${attempts.length})`);
      },
      { metrics: registry, backoff: { baseMs: 40, maxMs: 1000, random: () => 0 }, logger: createLogger({ level: "info", write: (l) => lines.push(l) }) },
    );
    await store.create(vm(ns, "flaky"));
    await c.start();
    await eventually(() => attempts.length === 4, 5000, "fourth attempt succeeds");
    assert.deepEqual(attempts.map((a) => a.attempt), [0, 1, 2, 3]);
    const gaps = attempts.slice(1).map((a, i) => a.at - attempts[i].at);
    assert.ok(gaps[0] >= 35 && gaps[1] >= 75 && gaps[2] >= 155, `backoff doubles from 40 ms: gaps ${gaps.map(Math.round)}`);
    const failure = lines.map((l) => JSON.parse(l)).find((l) => l.msg.startsWith("reconcile failed"));
    assert.equal(failure.key, `${ns}/flaky`);
    assert.equal(failure.controller, `toy-${ns}`);
    assert.match(failure.error.message, /provider unreachable/);
    const text = await registry.metrics();
    assert.match(text, new RegExp(`landfall_reconcile_errors_total\\{controller="toy-${ns}"\\} 3`));
    assert.match(text, new RegExp(`landfall_reconcile_duration_seconds_count\\{controller="toy-${ns}"\\} 4`));
    assert.match(text, new RegExp(`landfall_workqueue_depth\\{controller="toy-${ns}"\\} 0`));
    await c.stop();
    assert.doesNotMatch(await registry.metrics(), new RegExp(`landfall_workqueue_depth\\{controller="toy-${ns}"`));
  });

  it("never reconciles one key on two workers at once, while different keys run in parallel", async () => {
    const ns = "ctl-serial";
    const inFlight = new Map<string, number>();
    let maxPerKey = 0;
    let maxOverall = 0;
    let total = 0;
    const c = controller(
      ns,
      async (key) => {
        const k = key.name;
        inFlight.set(k, (inFlight.get(k) ?? 0) + 1);
        maxPerKey = Math.max(maxPerKey, inFlight.get(k)!);
        maxOverall = Math.max(maxOverall, [...inFlight.values()].reduce((a, b) => a + b, 0));
        await sleep(40);
        inFlight.set(k, inFlight.get(k)! - 1);
        total++;
      },
      { workers: 2 },
    );
    await store.create(vm(ns, "a"));
    await store.create(vm(ns, "b"));
    await c.start();
    for (let i = 0; i < 5; i++) {
      c.enqueue({ namespace: ns, name: "a" });
      c.enqueue({ namespace: ns, name: "b" });
      await sleep(10);
    }
    await eventually(() => total >= 4 && c.queueDepth === 0 && [...inFlight.values()].every((n) => n === 0), 5000, "queue drained");
    assert.equal(maxPerKey, 1, "one key never runs twice at once");
    assert.equal(maxOverall, 2, "two workers run two keys at once");
    assert.ok(total < 12, `adds while queued are deduplicated (${total} reconciles for 12 adds)`);
  });

  it("enqueues the owner when an owned object of a watched kind changes", async () => {
    const ns = "ctl-watch";
    const seen: string[] = [];
    const c = controller(ns, async (key) => {
      seen.push(key.name);
    }, { watches: [{ kind: "ConfigMap", map: enqueueOwners("VirtualMachine") }] });
    const owner = await store.create(vm(ns, "owner"));
    await store.create(vm(ns, "bystander"));
    await c.start();
    await eventually(() => seen.includes("owner") && seen.includes("bystander"), 5000, "initial reconciles");
    seen.length = 0;
    const cm = configMap(ns, "owned");
    cm.metadata.ownerReferences = [ownerReferenceFor(owner)];
    await store.create(cm);
    await eventually(() => seen.includes("owner"), 5000, "owner reconciled after its ConfigMap appeared");
    await store.delete("ConfigMap", ns, "owned");
    await eventually(() => seen.filter((s) => s === "owner").length >= 2, 5000, "owner reconciled after delete");
    assert.ok(!seen.includes("bystander"), "unrelated object not reconciled");
  });

  it("enqueues the objects that refer to a watched object (by index), and only for the changes that matter", async () => {
    const ns = "ctl-referrers";
    const seen: string[] = [];
    const c = controller(ns, async (key) => {
      seen.push(key.name);
    }, {
      // A VM refers to the ConfigMap named by its spec.cpus, for the test's sake: "cm-<cpus>".
      indexes: { config: (o: Toy) => [`${o.metadata.namespace}/cm-${o.spec.cpus}`] },
      watches: [{ kind: "ConfigMap", map: enqueueReferrers("config"), changed: (a, b) => JSON.stringify(a.data) !== JSON.stringify(b.data) }],
    });
    await store.create(vm(ns, "one", 1));
    await store.create(vm(ns, "two", 2));
    await c.start();
    await eventually(() => seen.includes("one") && seen.includes("two"), 5000, "initial reconciles");
    seen.length = 0;
    const cm = await store.create(configMap(ns, "cm-2", { v: "1" }));
    await eventually(() => seen.includes("two"), 5000, "the referrer reconciled when its ConfigMap appeared");
    assert.deepEqual(seen, ["two"]);
    seen.length = 0;
    const relabelled = await store.update({ ...cm, metadata: { ...cm.metadata, labels: { x: "y" } } });
    await sleep(300);
    assert.equal(seen.length, 0, "a change that does not matter wakes no one");
    await store.update({ ...relabelled, data: { v: "2" } });
    await eventually(() => seen.includes("two"), 5000, "the referrer reconciled when its ConfigMap's data changed");
    seen.length = 0;
    await store.delete("ConfigMap", ns, "cm-2");
    await eventually(() => seen.includes("two"), 5000, "the referrer reconciled when its ConfigMap went away");
    assert.ok(!seen.includes("one"), "an object referring to something else is not reconciled");
  });

  it("reconciles only the primary updates that `changed` accepts; adds and deletes always", async () => {
    const ns = "ctl-primary-changed";
    const seen: string[] = [];
    const c = controller(ns, async (key) => {
      seen.push(key.name);
    }, { changed: (a, b) => a.metadata.generation !== b.metadata.generation });
    await c.start();
    const created = await store.create(vm(ns, "web"));
    await eventually(() => seen.includes("web"), 5000, "the add is reconciled");
    seen.length = 0;
    const written = await store.updateStatus({ ...created, status: { observedGeneration: 1 } });
    await sleep(300);
    assert.equal(seen.length, 0, "a status write that `changed` refuses wakes nothing");
    await store.update({ ...written, spec: { ...written.spec, cpus: 2 } });
    await eventually(() => seen.includes("web"), 5000, "a spec change is reconciled");
    seen.length = 0;
    await store.delete("VirtualMachine", ns, "web");
    await eventually(() => seen.includes("web"), 5000, "the delete is reconciled");
  });

  it("honours requeueAfterMs and records events for describe", async () => {
    const ns = "ctl-requeue";
    const events = new EventRecorder();
    let n = 0;
    const c = controller(ns, async (_key, ctx) => {
      n++;
      if (ctx.cached) ctx.events.record(ctx.cached, "Normal", "Polled", "checked power state");
      return n < 3 ? { requeueAfterMs: 30 } : undefined;
    }, { events });
    await store.create(vm(ns, "poll"));
    await c.start();
    await eventually(() => n === 3, 5000, "three polls");
    await sleep(100);
    assert.equal(n, 3, "no requeue after the last result asked for none");
    const recorded = events.eventsFor("VirtualMachine", ns, "poll");
    assert.equal(recorded.length, 1);
    assert.equal(recorded[0].count, 3);
    assert.equal(recorded[0].source, `toy-${ns}`);
  });

  it("runs long work as a tracked job and reconciles again when it settles", async () => {
    const ns = "ctl-jobs";
    let jobsStarted = 0;
    const c = controller(ns, async (key, ctx) => {
      const job = ctx.job.state();
      if (!job) {
        if (ctx.job.start(async () => {
          jobsStarted++;
          await sleep(50);
        })) return;
      }
      if (job?.phase === "Succeeded") {
        await patchStatus<Toy>(ctx.store, "VirtualMachine", key.namespace, key.name, (s) => {
          s.phase = "Copied";
        });
      }
    });
    await store.create(vm(ns, "big"));
    await c.start();
    c.enqueue({ namespace: ns, name: "big" }); // a second trigger while the job runs must not start another
    await eventually(async () => (await store.get<Toy>("VirtualMachine", ns, "big")).status?.phase === "Copied", 5000, "job result in status");
    assert.equal(jobsStarted, 1);
  });

  it("stop() aborts ctx.signal, waits for in-flight reconciles, and reports a missed deadline", async () => {
    const ns = "ctl-stop";
    let finished = 0;
    let sawAbort = false;
    const c = controller(ns, async (_key, ctx) => {
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
      sawAbort = true;
      await sleep(50); // checkpointing
      finished++;
    });
    await store.create(vm(ns, "s"));
    await c.start();
    await sleep(30);
    assert.equal(await c.stop(2000), true);
    assert.equal(sawAbort, true);
    assert.equal(finished, 1, "stop waited for the in-flight reconcile");

    const ns2 = "ctl-stop-stuck";
    const stuck = controller(ns2, async () => {
      await sleep(400);
    });
    await store.create(vm(ns2, "s"));
    await stuck.start();
    await sleep(30);
    const t0 = performance.now();
    assert.equal(await stuck.stop(100), false, "deadline passed");
    assert.ok(performance.now() - t0 < 300, "stop returned at its deadline");
  });

  it("shares one informer per kind between controllers", async () => {
    const ns = "ctl-shared";
    const informers = new SharedInformers({ store, resyncMs: 0 });
    const seenA: string[] = [];
    const seenB: string[] = [];
    const a = controller(ns, async (key) => {
      seenA.push(key.name);
    }, { informers, name: "shared-a" });
    const b = controller(ns, async (key, ctx) => {
      seenB.push(`${key.name}:${ctx.cache("ConfigMap")?.get(`${ns}/cm`) ? "cm" : "-"}`);
    }, { informers, name: "shared-b", watches: [{ kind: "ConfigMap", map: enqueueOwners("VirtualMachine") }] });
    const owner = await store.create(vm(ns, "one"));
    await a.start();
    await b.start();
    await eventually(() => seenA.includes("one") && seenB.includes("one:-"), 5000, "both reconciled");
    assert.equal(informers.informerFor("VirtualMachine").lists, 1, "one list of VirtualMachines for both controllers");
    const cm = configMap(ns, "cm");
    cm.metadata.ownerReferences = [ownerReferenceFor(owner)];
    await store.create(cm);
    await eventually(() => seenB.includes("one:cm"), 5000, "b sees the watched kind through its cache");
    await a.stop();
    await b.stop();
    assert.equal(informers.informerFor("VirtualMachine").hasSynced(), true, "controllers do not stop shared informers");
    await informers.stop();
  });

  it("keeps the process alive through a reconcile that throws non-Errors and Conflicts", async () => {
    const ns = "ctl-throws";
    let n = 0;
    const c = controller(ns, async () => {
      n++;
      if (n === 1) throw "a string";
      if (n === 2) throw new ApiError("Conflict", "stale resourceVersion");
    }, { backoff: { baseMs: 5, maxMs: 20 } });
    await store.create(vm(ns, "x"));
    await c.start();
    await eventually(() => n === 3, 5000, "third attempt");
  });
});

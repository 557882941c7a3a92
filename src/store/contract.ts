// The ResourceStore contract: one suite every implementation (sqlite, kubernetes) must pass. Each test works in
// its own namespace, so implementations may share one store (or one cluster) across tests.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { isApiError } from "../api/errors.ts";
import type { KubeObject } from "../api/meta.ts";
import { apiError, drainWatch, freshNamespace, jsonListItems, recordWatch, sampleConfigMap, sampleVM } from "./contract-helpers.ts";
import { pickFields } from "./fields.ts";
import type { ResourceStore } from "./types.ts";

export interface StoreContractOptions<S extends ResourceStore> {
  /** Forget watch history up to the current revision (the Gone test runs only for stores that can). */
  compactHistory?: (store: S) => Promise<void>;
  /** Make a namespace usable before a test writes into it (Kubernetes: create the Namespace). */
  createNamespace?: (store: S, namespace: string) => Promise<void>;
}

const VM = "VirtualMachine";
const CM = "ConfigMap";

export function runStoreContract<S extends ResourceStore>(name: string, open: () => Promise<S>, options: StoreContractOptions<S> = {}): void {
  describe(`ResourceStore contract: ${name}`, () => {
    let store: S;
    before(async () => {
      store = await open();
    });
    after(async () => {
      await store.close();
    });
    const namespace = async (): Promise<string> => {
      const ns = freshNamespace();
      await options.createNamespace?.(store, ns);
      return ns;
    };

    test("create sets server-owned metadata and get returns the same object", async () => {
      const ns = await namespace();
      const created = await store.create(sampleVM(ns, "web01", { status: { phase: "Running" } }));
      assert.equal(created.metadata.namespace, ns);
      assert.match(created.metadata.uid ?? "", /^[0-9a-f-]{36}$/);
      assert.equal(created.metadata.generation, 1);
      assert.match(created.metadata.resourceVersion ?? "", /^\d+$/);
      assert.ok(!Number.isNaN(Date.parse(created.metadata.creationTimestamp ?? "")), "creationTimestamp is a timestamp");
      assert.equal(created.metadata.deletionTimestamp, undefined);
      assert.equal(created.status, undefined, "status is set through updateStatus, not create");
      assert.deepEqual(created.spec, sampleVM(ns, "web01").spec);
      assert.deepEqual(await store.get(VM, ns, "web01"), created);
      assert.ok(BigInt(await store.revision()) >= BigInt(created.metadata.resourceVersion ?? "0"));
    });

    test("namespace defaults to default", async () => {
      const name = `dflt-${freshNamespace().slice(-8)}`;
      const created = await store.create<KubeObject>({ apiVersion: "v1", kind: CM, metadata: { name }, data: { a: "b" } });
      assert.equal(created.metadata.namespace, "default");
      assert.deepEqual((await store.get(CM, "default", name)).data, { a: "b" });
      await store.delete(CM, "default", name);
    });

    test("create of an existing name fails with AlreadyExists (409)", async () => {
      const ns = await namespace();
      await store.create(sampleVM(ns, "dup"));
      await assert.rejects(store.create(sampleVM(ns, "dup")), apiError("AlreadyExists", 409));
    });

    test("get, update and delete of a missing object fail with NotFound (404)", async () => {
      const ns = await namespace();
      await assert.rejects(store.get(VM, ns, "nope"), apiError("NotFound", 404));
      await assert.rejects(store.update(sampleVM(ns, "nope")), apiError("NotFound", 404));
      await assert.rejects(store.delete(VM, ns, "nope"), apiError("NotFound", 404));
    });

    test("update replaces body and metadata but keeps server-owned fields and status", async () => {
      const ns = await namespace();
      const created = await store.create(sampleVM(ns, "vm1"));
      const withStatus = await store.updateStatus({ ...created, status: { phase: "Running" } });
      const updated = await store.update({
        ...withStatus,
        metadata: {
          ...withStatus.metadata,
          uid: "forged",
          generation: 99,
          creationTimestamp: "2000-01-01T00:00:00Z",
          labels: { app: "db" },
          annotations: { "landfall.dev/note": "x" },
        },
        spec: { ...(withStatus.spec as object), cpus: 4 },
        status: { phase: "Failed" },
      });
      assert.equal(updated.metadata.uid, created.metadata.uid);
      assert.equal(updated.metadata.creationTimestamp, created.metadata.creationTimestamp);
      assert.equal(updated.metadata.generation, 2);
      assert.deepEqual(updated.metadata.labels, { app: "db" });
      assert.deepEqual(updated.metadata.annotations, { "landfall.dev/note": "x" });
      assert.equal((updated.spec as { cpus: number }).cpus, 4);
      assert.deepEqual(updated.status, { phase: "Running" }, "update ignores status");
      assert.ok(BigInt(updated.metadata.resourceVersion ?? "0") > BigInt(withStatus.metadata.resourceVersion ?? "0"));
      assert.deepEqual(await store.get(VM, ns, "vm1"), updated);
    });

    test("generation rises on spec changes only", async () => {
      const ns = await namespace();
      const created = await store.create(sampleVM(ns, "gen"));
      const relabelled = await store.update({ ...created, metadata: { ...created.metadata, labels: { app: "x" } } });
      assert.equal(relabelled.metadata.generation, 1, "a label change keeps generation");
      assert.notEqual(relabelled.metadata.resourceVersion, created.metadata.resourceVersion);
      const respecced = await store.update({ ...relabelled, spec: { ...(relabelled.spec as object), cpus: 2 } });
      assert.equal(respecced.metadata.generation, 2);
      const same = await store.update({ ...respecced, spec: structuredClone(respecced.spec) });
      assert.equal(same.metadata.generation, 2, "an equal spec keeps generation");
      assert.equal(same.metadata.resourceVersion, respecced.metadata.resourceVersion, "a no-op update writes nothing");
    });

    test("a stale resourceVersion fails with Conflict (409); none means unconditional", async () => {
      const ns = await namespace();
      const created = await store.create(sampleVM(ns, "occ"));
      await store.update({ ...created, metadata: { ...created.metadata, labels: { v: "1" } } });
      await assert.rejects(store.update({ ...created, metadata: { ...created.metadata, labels: { v: "2" } } }), apiError("Conflict", 409));
      // A valid status: a store that validates must still answer Conflict for the stale resourceVersion.
      await assert.rejects(store.updateStatus({ ...created, status: { phase: "Failed" } }), apiError("Conflict", 409));
      const { resourceVersion: _rv, ...unconditional } = created.metadata;
      const forced = await store.update({ ...created, metadata: { ...unconditional, labels: { v: "3" } } });
      assert.deepEqual(forced.metadata.labels, { v: "3" });
    });

    test("two concurrent updates from one resourceVersion: exactly one wins, the other gets Conflict", async () => {
      const ns = await namespace();
      const created = await store.create(sampleVM(ns, "race"));
      const results = await Promise.allSettled(
        [2, 3].map((cpus) => store.update({ ...created, spec: { ...(created.spec as object), cpus } })),
      );
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r) => r.status === "rejected");
      assert.equal(won.length, 1, "exactly one update wins");
      assert.equal(lost.length, 1);
      assert.ok(isApiError((lost[0] as PromiseRejectedResult).reason, "Conflict"), "the loser gets Conflict");
      const winner = (won[0] as PromiseFulfilledResult<KubeObject>).value;
      assert.deepEqual(await store.get(VM, ns, "race"), winner);
    });

    test("updateStatus replaces status only and never touches spec or generation", async () => {
      const ns = await namespace();
      const created = await store.create(sampleVM(ns, "st"));
      const after = await store.updateStatus({
        ...created,
        metadata: { ...created.metadata, labels: { changed: "yes" } },
        spec: { ...(created.spec as object), cpus: 64 },
        status: { phase: "Running", observedGeneration: 1 },
      });
      assert.deepEqual(after.status, { phase: "Running", observedGeneration: 1 });
      assert.deepEqual(after.spec, created.spec);
      assert.deepEqual(after.metadata.labels, created.metadata.labels);
      assert.equal(after.metadata.generation, 1);
      assert.ok(BigInt(after.metadata.resourceVersion ?? "0") > BigInt(created.metadata.resourceVersion ?? "0"));
      assert.deepEqual(await store.get(VM, ns, "st"), after);
    });

    test("updateStatus on a kind without status (ConfigMap) is rejected", async () => {
      const ns = await namespace();
      const cm = await store.create(sampleConfigMap(ns, "cm"));
      await assert.rejects(store.updateStatus({ ...cm, status: { phase: "x" } }), apiError("MethodNotAllowed", 405));
    });

    test("delete without finalizers removes the object and returns its last state", async () => {
      const ns = await namespace();
      const created = await store.create(sampleVM(ns, "gone"));
      const deleted = await store.delete(VM, ns, "gone");
      assert.equal(deleted.metadata.uid, created.metadata.uid);
      await assert.rejects(store.get(VM, ns, "gone"), apiError("NotFound", 404));
    });

    test("delete with a stale resourceVersion precondition fails with Conflict", async () => {
      const ns = await namespace();
      const created = await store.create(sampleVM(ns, "pre"));
      await store.update({ ...created, metadata: { ...created.metadata, labels: { x: "y" } } });
      await assert.rejects(store.delete(VM, ns, "pre", { resourceVersion: created.metadata.resourceVersion }), apiError("Conflict", 409));
      await store.get(VM, ns, "pre");
    });

    test("finalizers: delete marks deletionTimestamp; removing the last finalizer deletes", async () => {
      const ns = await namespace();
      await store.create(sampleVM(ns, "fin", { metadata: { name: "fin", namespace: ns, finalizers: ["landfall.dev/cleanup"] } }));
      const marked = await store.delete(VM, ns, "fin");
      assert.ok(marked.metadata.deletionTimestamp, "deletionTimestamp is set");
      const still = await store.get(VM, ns, "fin");
      assert.equal(still.metadata.deletionTimestamp, marked.metadata.deletionTimestamp);
      const again = await store.delete(VM, ns, "fin");
      assert.equal(again.metadata.deletionTimestamp, marked.metadata.deletionTimestamp, "a second delete keeps the first timestamp");
      await assert.rejects(
        store.update({ ...still, metadata: { ...still.metadata, finalizers: ["landfall.dev/cleanup", "other/extra"] } }),
        (err: unknown) => isApiError(err, "Invalid") || isApiError(err, "Forbidden"),
        "no new finalizers on an object being deleted",
      );
      const withStatus = await store.updateStatus({ ...still, status: { phase: "Stopped" } });
      assert.equal(withStatus.metadata.deletionTimestamp, marked.metadata.deletionTimestamp);
      const finalState = await store.update({ ...withStatus, metadata: { ...withStatus.metadata, finalizers: [] } });
      assert.equal(finalState.metadata.name, "fin");
      await assert.rejects(store.get(VM, ns, "fin"), apiError("NotFound", 404));
    });

    test("list filters by label selector", async () => {
      const ns = await namespace();
      await store.create(sampleConfigMap(ns, "a", { tier: "web", env: "prod" }));
      await store.create(sampleConfigMap(ns, "b", { tier: "db", env: "prod" }));
      await store.create(sampleConfigMap(ns, "c", { tier: "web" }));
      await store.create(sampleConfigMap(ns, "d", {}));
      const names = async (labelSelector: string) =>
        (await store.list(CM, { namespace: ns, labelSelector })).items.map((o) => o.metadata.name);
      assert.deepEqual(await names(""), ["a", "b", "c", "d"]);
      assert.deepEqual(await names("tier=web"), ["a", "c"]);
      assert.deepEqual(await names("tier==web,env=prod"), ["a"]);
      assert.deepEqual(await names("tier!=web"), ["b", "d"]);
      assert.deepEqual(await names("env"), ["a", "b"]);
      assert.deepEqual(await names("!env"), ["c", "d"]);
      assert.deepEqual(await names("tier in (db, web)"), ["a", "b", "c"]);
      assert.deepEqual(await names("tier notin (web)"), ["b", "d"]);
      await assert.rejects(store.list(CM, { namespace: ns, labelSelector: "tier in (web" }), apiError("BadRequest", 400));
    });

    test("pagination lists every object exactly once", async () => {
      const ns = await namespace();
      const all = Array.from({ length: 7 }, (_, i) => `obj-${i}`);
      for (const n of [...all].reverse()) await store.create(sampleConfigMap(ns, n, { even: String(Number(n.slice(4)) % 2 === 0) }));
      const pages = async (labelSelector?: string) => {
        const seen: string[] = [];
        let token: string | undefined;
        let count = 0;
        do {
          const page = await store.list(CM, { namespace: ns, limit: 3, continue: token, labelSelector });
          assert.ok(page.items.length <= 3, "a page holds at most limit items");
          seen.push(...page.items.map((o) => o.metadata.name));
          token = page.continue;
          assert.ok(++count < 10, "pagination ends");
        } while (token);
        return { seen, count };
      };
      const plain = await pages();
      assert.deepEqual(plain.seen, all);
      assert.equal(plain.count, 3);
      assert.deepEqual((await pages("even=true")).seen, ["obj-0", "obj-2", "obj-4", "obj-6"]);
    });

    test("listJson lists what list lists, each item the object's JSON (selectors, pages, relabelled objects, Secrets)", async () => {
      const ns = await namespace();
      for (const n of ["e", "a", "d", "b", "c"]) await store.create(sampleConfigMap(ns, n, { tier: n < "c" ? "web" : "db" }));
      const relabelled = await store.get(CM, ns, "d");
      await store.update({ ...relabelled, metadata: { ...relabelled.metadata, labels: { tier: "web" } } });
      const unlabelled = await store.get(CM, ns, "e");
      await store.update({ ...unlabelled, metadata: { ...unlabelled.metadata, labels: {} } });
      await store.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: ns, labels: { tier: "web" } }, stringData: { password: "pw" } });
      for (const [kind, options] of [
        [CM, {}],
        [CM, { labelSelector: "tier=web" }],
        [CM, { labelSelector: "!tier" }],
        [CM, { limit: 2 }],
        [CM, { limit: 2, labelSelector: "tier in (web,db)" }],
        ["Secret", { labelSelector: "tier=web" }],
      ] as const) {
        let token: string | undefined;
        let pages = 0;
        do {
          const opts = { namespace: ns, ...options, continue: token };
          const [objects, texts] = [await store.list(kind, opts), await store.listJson(kind, opts)];
          assert.deepEqual(
            jsonListItems(texts),
            objects.items,
            `${kind} ${JSON.stringify(opts)}`,
          );
          assert.equal(texts.continue === undefined, objects.continue === undefined, "both end on the same page");
          assert.ok(Number(texts.resourceVersion) >= Number(objects.resourceVersion) && texts.resourceVersion !== "");
          token = texts.continue;
          assert.ok(++pages < 10, "pagination ends");
        } while (token);
      }
      const names = async (labelSelector: string) => jsonListItems(await store.listJson(CM, { namespace: ns, labelSelector })).map((o) => o.metadata.name);
      assert.deepEqual(await names("tier=web"), ["a", "b", "d"], "a label changed by update moves the object into the selection");
      assert.deepEqual(await names("tier=db"), ["c"], "and out of the old one");
      assert.deepEqual(await names("!tier"), ["e"], "removed labels select as absent");
      const [secret] = jsonListItems<KubeObject & { data?: Record<string, string> }>(await store.listJson("Secret", { namespace: ns }));
      assert.deepEqual(secret.data, { password: Buffer.from("pw").toString("base64") }, "a Secret lists readable, as get returns it");
    });

    test("listFields lists what list lists, each item reduced to the fields (absent ones, non-objects on the way, pages, selectors, Secrets)", async () => {
      const ns = await namespace();
      for (const n of ["c", "a", "b", "d"]) {
        const cm = sampleConfigMap(ns, n, { tier: n < "c" ? "web" : "db" });
        cm.data = n === "d" ? {} : { a: `a-${n}`, "b-c": `bc-${n}` };
        if (n === "b") delete cm.data;
        await store.create(cm);
      }
      await store.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: ns, labels: { tier: "web" } }, stringData: { password: "pw" } });
      const fields = ["data.a", "data.b-c", "data.missing", "metadata.labels", "metadata.name.inner", "metadata.namespace", "binaryData"];
      for (const [kind, options, picked] of [
        [CM, {}, fields],
        [CM, { limit: 3 }, fields],
        [CM, { labelSelector: "tier=web", limit: 1 }, fields],
        [CM, {}, ["metadata"]],
        ["Secret", {}, ["metadata.name", "data"]],
      ] as const) {
        let token: string | undefined;
        let pages = 0;
        do {
          const opts = { namespace: ns, ...options, continue: token };
          const [objects, reduced] = [await store.list(kind, opts), await store.listFields(kind, picked, opts)];
          assert.deepEqual(reduced.items, objects.items.map((o) => pickFields(o, picked)), `${kind} ${JSON.stringify(opts)} ${picked.join(",")}`);
          assert.equal(reduced.continue === undefined, objects.continue === undefined, "both end on the same page");
          assert.ok(reduced.resourceVersion !== "");
          token = reduced.continue;
          assert.ok(++pages < 10, "pagination ends");
        } while (token);
      }
      const [a, b] = (await store.listFields(CM, fields, { namespace: ns })).items;
      const absent = { inner: null };
      assert.deepEqual(a, { data: { a: "a-a", "b-c": "bc-a", missing: null }, metadata: { labels: { tier: "web" }, name: absent, namespace: ns }, binaryData: null }, "the fields, nested as in the object");
      assert.deepEqual(b, { data: { a: null, "b-c": null, missing: null }, metadata: { labels: { tier: "web" }, name: absent, namespace: ns }, binaryData: null }, "fields an object lacks are null");
    });

    test("namespaces isolate objects of the same name", async () => {
      const [ns1, ns2] = [await namespace(), await namespace()];
      await store.create(sampleConfigMap(ns1, "same", { where: "one" }));
      await store.create(sampleConfigMap(ns2, "same", { where: "two" }));
      assert.deepEqual((await store.get(CM, ns1, "same")).metadata.labels, { where: "one" });
      assert.deepEqual((await store.list(CM, { namespace: ns2 })).items.map((o) => o.metadata.labels), [{ where: "two" }]);
      await store.delete(CM, ns1, "same");
      await assert.rejects(store.get(CM, ns1, "same"), apiError("NotFound", 404));
      assert.equal((await store.get(CM, ns2, "same")).metadata.name, "same");
      const across = await store.list(CM, { labelSelector: "where" });
      assert.deepEqual(
        across.items.filter((o) => o.metadata.namespace === ns1 || o.metadata.namespace === ns2).map((o) => o.metadata.namespace),
        [ns2],
      );
    });

    test("Secret stringData is stored as base64 data", async () => {
      const ns = await namespace();
      const created = await store.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "creds", namespace: ns }, stringData: { password: "s3cret!" } });
      const read = await store.get(created.kind, ns, "creds");
      assert.deepEqual(read.data, { password: Buffer.from("s3cret!").toString("base64") });
      assert.equal(read.stringData, undefined);
    });

    test("watch from a revision replays history, then streams live events in order", async () => {
      const ns = await namespace();
      const created = await store.create(sampleVM(ns, "w1"));
      await store.update({ ...created, spec: { ...(created.spec as object), cpus: 2 } });
      const watch = recordWatch(store, VM, { namespace: ns, resourceVersion: created.metadata.resourceVersion });
      try {
        const replayed = await watch.waitFor(1);
        assert.equal(replayed[0].type, "MODIFIED");
        assert.equal((replayed[0].object.spec as { cpus: number }).cpus, 2);
        await store.create(sampleVM(ns, "w2"));
        const w2 = await store.get(VM, ns, "w2");
        await store.updateStatus({ ...w2, status: { phase: "Running" } });
        await store.delete(VM, ns, "w2");
        const events = await watch.waitFor(4);
        assert.deepEqual(
          events.map((e) => `${e.type} ${e.object.metadata.name}`),
          ["MODIFIED w1", "ADDED w2", "MODIFIED w2", "DELETED w2"],
        );
        const revisions = events.map((e) => BigInt(e.object.metadata.resourceVersion ?? "0"));
        for (let i = 1; i < revisions.length; i++) assert.ok(revisions[i] > revisions[i - 1], "revisions rise");
      } finally {
        await watch.stop();
      }
      assert.ok(watch.events.length >= 4);
    });

    test("watch filters by namespace and label selector; several watchers see the same events", async () => {
      const [ns, other] = [await namespace(), await namespace()];
      const start = (await store.list(CM, { namespace: ns })).resourceVersion;
      const selected = recordWatch(store, CM, { namespace: ns, labelSelector: "pick=yes", resourceVersion: start });
      const everything = recordWatch(store, CM, { namespace: ns, resourceVersion: start });
      try {
        await store.create(sampleConfigMap(other, "elsewhere", { pick: "yes" }));
        await store.create(sampleConfigMap(ns, "skip", { pick: "no" }));
        const picked = await store.create(sampleConfigMap(ns, "take", { pick: "yes" }));
        await store.update({ ...picked, metadata: { ...picked.metadata, labels: { pick: "no" } } });
        assert.deepEqual(
          (await everything.waitFor(3)).map((e) => `${e.type} ${e.object.metadata.name}`),
          ["ADDED skip", "ADDED take", "MODIFIED take"],
        );
        const seen = await selected.waitFor(2);
        assert.equal(seen[0].type, "ADDED");
        assert.equal(seen[0].object.metadata.name, "take");
        assert.equal(seen[1].object.metadata.name, "take");
        assert.equal(seen[1].type, "DELETED", "an object leaving the selection is reported as DELETED");
      } finally {
        await Promise.all([selected.stop(), everything.stop()]);
      }
      assert.equal(selected.events.length, 2);
    });

    test("watch ends cleanly when its signal aborts", async () => {
      const ns = await namespace();
      const watch = recordWatch(store, VM, { namespace: ns });
      await store.create(sampleVM(ns, "live"));
      await watch.waitFor(1);
      await watch.stop();
      await store.create(sampleVM(ns, "after-stop"));
      assert.deepEqual(
        watch.events.map((e) => e.object.metadata.name),
        ["live"],
      );
    });

    if (options.compactHistory) {
      const compact = options.compactHistory;
      test("watch from a compacted revision fails with Gone (410)", async () => {
        const ns = await namespace();
        const created = await store.create(sampleVM(ns, "old"));
        await store.update({ ...created, metadata: { ...created.metadata, labels: { v: "2" } } });
        await compact(store);
        await store.create(sampleVM(ns, "new"));
        await assert.rejects(drainWatch(store, VM, { namespace: ns, resourceVersion: created.metadata.resourceVersion }), apiError("Gone", 410));
        const fresh = recordWatch(store, VM, { namespace: ns, resourceVersion: await store.revision() });
        try {
          await store.delete(VM, ns, "new");
          assert.equal((await fresh.waitFor(1))[0].type, "DELETED");
        } finally {
          await fresh.stop();
        }
      });
    }
  });
}

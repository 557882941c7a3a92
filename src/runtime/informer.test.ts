import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { KubeObject } from "../api/meta.ts";
import { openSqliteStore, type SqliteStore } from "../store/sqlite/index.ts";
import { Informer } from "./informer.ts";
import { configMap, eventually, type FaultyStore, withWatchFaults } from "./testkit.ts";

describe("Informer (sqlite store)", () => {
  let base: SqliteStore;
  let store: FaultyStore;
  before(async () => {
    base = await openSqliteStore({ path: ":memory:" });
    store = withWatchFaults(base);
  });
  after(async () => {
    await base.close();
  });

  function record(informer: Informer) {
    const seen: string[] = [];
    informer.addEventHandler({
      onAdd: (o) => seen.push(`add ${o.metadata.name}`),
      onUpdate: (a, b) => seen.push(`${a === b ? "resync" : "update"} ${b.metadata.name}=${(b.data as Record<string, string>).v}`),
      onDelete: (o) => seen.push(`delete ${o.metadata.name}`),
    });
    return seen;
  }

  it("lists, then sees ADDED, MODIFIED and DELETED into its cache", async () => {
    const ns = "inf-basic";
    await store.create(configMap(ns, "pre", { v: "0" }));
    const informer = new Informer({ store, kind: "ConfigMap", namespace: ns, resyncMs: 0 });
    const seen = record(informer);
    assert.equal(informer.hasSynced(), false);
    informer.start();
    try {
      await informer.waitForSync(5000);
      assert.deepEqual(informer.keys(), [`${ns}/pre`]);
      const a = await store.create(configMap(ns, "a", { v: "1" }));
      await store.update({ ...a, data: { v: "2" } });
      await store.delete("ConfigMap", ns, "pre");
      await eventually(() => seen.length >= 4, 5000, "four events");
      assert.deepEqual(seen, ["add pre", "add a", "update a=2", "delete pre"]);
      assert.deepEqual(informer.get(`${ns}/a`)?.data, { v: "2" });
      assert.equal(informer.get(`${ns}/pre`), undefined);
      assert.deepEqual(informer.list().map((o) => o.metadata.name), ["a"]);
    } finally {
      await informer.stop();
    }
  });

  it("relists after 410 Gone and delivers what changed while the watch was down", async () => {
    const ns = "inf-gone";
    await store.create(configMap(ns, "keep", { v: "1" }));
    await store.create(configMap(ns, "drop", { v: "1" }));
    const informer = new Informer({ store, kind: "ConfigMap", namespace: ns, resyncMs: 0 });
    const seen = record(informer);
    const watchesBefore = store.watchesOpened("ConfigMap");
    informer.start();
    try {
      await informer.waitForSync(5000);
      assert.equal(informer.lists, 1);
      await eventually(() => store.watchesOpened("ConfigMap") > watchesBefore, 5000, "watch open");
      // While the watch is "down" (broken before it can deliver), objects change behind its back.
      const paused = pauseWatches(store, "ConfigMap");
      store.breakWatches("ConfigMap");
      const keep = await base.get<KubeObject>("ConfigMap", ns, "keep");
      await base.update({ ...keep, data: { v: "2" } });
      await base.delete("ConfigMap", ns, "drop");
      await base.create(configMap(ns, "new", { v: "1" }));
      paused.release();
      await eventually(() => informer.lists >= 2, 5000, "a second list");
      await eventually(() => seen.length >= 5, 5000, "events after relist");
      assert.deepEqual(seen.slice(0, 2).sort(), ["add drop", "add keep"]);
      assert.deepEqual(seen.slice(2).sort(), ["add new", "delete drop", "update keep=2"]);
      assert.deepEqual(informer.keys().sort(), [`${ns}/keep`, `${ns}/new`]);
      // And the new watch works.
      await store.create(configMap(ns, "after", { v: "1" }));
      await eventually(() => informer.get(`${ns}/after`), 5000, "object created after relist");
    } finally {
      await informer.stop();
    }
  });

  it("resync re-delivers every cached object as an update", async () => {
    const ns = "inf-resync";
    await store.create(configMap(ns, "x", { v: "1" }));
    const informer = new Informer({ store, kind: "ConfigMap", namespace: ns, resyncMs: 50 });
    const seen = record(informer);
    informer.start();
    try {
      await eventually(() => seen.filter((s) => s === "resync x=1").length >= 2, 5000, "two resyncs");
    } finally {
      await informer.stop();
    }
    const count = seen.length;
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(seen.length, count, "no resync after stop");
  });

  it("filters by label selector and keeps going when a handler throws", async () => {
    const ns = "inf-labels";
    const informer = new Informer({ store, kind: "ConfigMap", namespace: ns, labelSelector: "team=a", resyncMs: 0 });
    informer.addEventHandler({
      onAdd: () => {
        throw new Error("handler bug");
      },
    });
    const seen = record(informer);
    informer.start();
    try {
      await informer.waitForSync(5000);
      await store.create(configMap(ns, "other", { v: "1" }, { team: "b" }));
      await store.create(configMap(ns, "mine", { v: "1" }, { team: "a" }));
      await eventually(() => seen.includes("add mine"), 5000, "labelled object");
      assert.deepEqual(seen, ["add mine"]);
    } finally {
      await informer.stop();
    }
  });

  it("backs off and retries when listing fails, then syncs", async () => {
    let failures = 2;
    const flaky = {
      ...store,
      list: (kind: string, o?: object) => {
        if (failures-- > 0) return Promise.reject(new Error("store unreachable"));
        return store.list(kind, o);
      },
    } as FaultyStore;
    const informer = new Informer({ store: flaky, kind: "ConfigMap", namespace: "inf-flaky", resyncMs: 0, relistBackoff: { baseMs: 10, maxMs: 50 } });
    informer.start();
    try {
      await informer.waitForSync(5000);
      assert.equal(failures, -1, "two failed lists, then one good");
    } finally {
      await informer.stop();
    }
  });

  it("waitForSync rejects with a clear message when the store never answers", async () => {
    const hung = { ...store, list: () => new Promise<never>(() => {}) } as unknown as FaultyStore;
    const informer = new Informer({ store: hung, kind: "ConfigMap", resyncMs: 0 });
    await assert.rejects(informer.waitForSync(30), /informer for ConfigMap did not sync within 30 ms/);
  });

  it("keeps an index in step with the cache: adds, changes, deletes, and objects cached before it was added", async () => {
    const ns = "inf-index";
    const byApp = (o: KubeObject) => [String((o.data as Record<string, string>).app)];
    await store.create(configMap(ns, "early", { app: "a" }));
    const informer = new Informer({ store, kind: "ConfigMap", namespace: ns, resyncMs: 0 });
    informer.start();
    try {
      await informer.waitForSync(5000);
      informer.addIndex("app", byApp);
      assert.deepEqual(informer.byIndex("app", "a"), [`${ns}/early`]);
      const late = await store.create(configMap(ns, "late", { app: "a" }));
      await eventually(() => informer.byIndex("app", "a").length === 2, 5000, "late filed under a");
      await store.update({ ...late, data: { app: "b" } });
      await eventually(() => informer.byIndex("app", "b").length === 1, 5000, "late moved to b");
      assert.deepEqual(informer.byIndex("app", "a"), [`${ns}/early`]);
      await store.delete("ConfigMap", ns, "early");
      await eventually(() => informer.byIndex("app", "a").length === 0, 5000, "early gone from a");
      assert.deepEqual(informer.byIndex("app", "b"), [`${ns}/late`]);
      assert.throws(() => informer.byIndex("nope", "a"), /no index "nope"/);
    } finally {
      await informer.stop();
    }
  });

  it("metadata only: caches and delivers names and versions, never the data, from the list and from the watch", async () => {
    const ns = "inf-meta";
    await store.create(configMap(ns, "listed", { v: "listed-value" }, { app: "x" }));
    const informer = new Informer({ store, kind: "ConfigMap", namespace: ns, resyncMs: 0, metadataOnly: true });
    const delivered: KubeObject[] = [];
    informer.addEventHandler({ onAdd: (o) => delivered.push(o), onUpdate: (_a, b) => delivered.push(b) });
    informer.start();
    try {
      await informer.waitForSync(5000);
      const watched = await store.create(configMap(ns, "watched", { v: "watched-value" }));
      const updated = await store.update({ ...watched, data: { v: "updated-value" } });
      await eventually(() => informer.get(`${ns}/watched`)?.metadata.resourceVersion === updated.metadata.resourceVersion, 5000, "the update's version");
      assert.deepEqual(informer.keys().sort(), [`${ns}/listed`, `${ns}/watched`]);
      const text = JSON.stringify([...informer.list(), ...delivered]);
      for (const value of ["listed-value", "watched-value", "updated-value", '"app"']) assert.equal(text.includes(value), false, `${value} is not cached or delivered`);
      assert.deepEqual(informer.get(`${ns}/watched`), {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "watched", namespace: ns, uid: updated.metadata.uid, resourceVersion: updated.metadata.resourceVersion, ...(updated.metadata.generation === undefined ? {} : { generation: updated.metadata.generation }) },
      });
    } finally {
      await informer.stop();
    }
  });
});

/** Holds new watches of kind open-but-idle until release(), so writes made meanwhile reach only the relist. */
function pauseWatches(store: FaultyStore, kind: string) {
  const original = store.list;
  let release = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  store.list = (async (k: string, o?: object) => {
    if (k === kind) await gate;
    return original(k, o);
  }) as FaultyStore["list"];
  return {
    release() {
      store.list = original;
      release();
    },
  };
}

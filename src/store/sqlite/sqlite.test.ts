import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, describe, test } from "node:test";
import { apiError, drainWatch, jsonListItems, recordWatch, sampleConfigMap, sampleVM } from "../contract-helpers.ts";
import { runStoreContract } from "../contract.ts";
import { openSqliteStore } from "./store.ts";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "landfall-store-"));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const compactHistory = { compactHistory: (s: { compactHistory(): Promise<void> }) => s.compactHistory() };
runStoreContract("sqlite file", () => openSqliteStore({ path: join(tempDir(), "store.db"), secretKey: randomBytes(32) }), compactHistory);
runStoreContract("sqlite :memory:", () => openSqliteStore({ path: ":memory:" }), compactHistory);

/** Every byte of the database directory (main file and WAL), as text. */
function rawBytes(dir: string): string {
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f)).toString("latin1"))
    .join("\n");
}

describe("sqlite store", () => {
  test("concurrent writes share commits, and each is on disk when it resolves; a failing one fails alone", async () => {
    const path = join(tempDir(), "store.db");
    const store = await openSqliteStore({ path });
    const reader = new DatabaseSync(path, { readOnly: true });
    try {
      await store.create(sampleConfigMap("ns1", "taken"));
      const onDisk = reader.prepare("SELECT rv FROM objects WHERE kind = 'ConfigMap' AND namespace = 'ns1' AND name = ?");
      const names = [...Array.from({ length: 40 }, (_, i) => `cm-${i}`), "taken"];
      const outcomes = await Promise.allSettled(
        names.map((n) =>
          store.create(sampleConfigMap("ns1", n)).then((created) => {
            // Another connection sees the row the moment the write resolves: it was committed first.
            assert.equal(String((onDisk.get(n) as { rv: number } | undefined)?.rv), created.metadata.resourceVersion, `${n} resolved before its commit`);
            return created;
          }),
        ),
      );
      const failed = outcomes.flatMap((o, i) => (o.status === "rejected" ? [[names[i], (o.reason as { reason?: string }).reason]] : []));
      assert.deepEqual(failed, [["taken", "AlreadyExists"]]);
      const revisions = outcomes.flatMap((o) => (o.status === "fulfilled" ? [Number(o.value.metadata.resourceVersion)] : []));
      assert.equal(new Set(revisions).size, 40, "every write has its own revision");
    } finally {
      reader.close();
      await store.close();
    }
  });

  test("writes that change nothing commit nothing (a no-op reconcile costs no write and no fsync)", async () => {
    const path = join(tempDir(), "store.db");
    const store = await openSqliteStore({ path });
    const reader = new DatabaseSync(path, { readOnly: true });
    try {
      const created = await store.create(sampleVM("ns1", "same"));
      const withStatus = await store.updateStatus({ ...created, status: { phase: "Running" } });
      // data_version, read on another connection, changes whenever some other connection commits a change.
      const dataVersion = () => (reader.prepare("PRAGMA data_version").get() as { data_version: number }).data_version;
      const [revision, version] = [await store.revision(), dataVersion()];
      await Promise.all(Array.from({ length: 20 }, () => store.updateStatus({ ...withStatus, status: { phase: "Running" } })));
      await store.update(withStatus);
      assert.equal(await store.revision(), revision);
      assert.equal(dataVersion(), version, "nothing was committed");
      await store.updateStatus({ ...withStatus, status: { phase: "Stopped" } });
      assert.notEqual(dataVersion(), version, "a real change is seen by the other connection");
    } finally {
      reader.close();
      await store.close();
    }
  });

  test("a database from before the labels column is upgraded on open: label selectors see its objects", async () => {
    const path = join(tempDir(), "store.db");
    const old = new DatabaseSync(path);
    old.exec(`CREATE TABLE objects (kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, rv INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, namespace, name)) WITHOUT ROWID;
      CREATE TABLE counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID; INSERT INTO counters VALUES ('revision', 2);`);
    const insert = old.prepare("INSERT INTO objects VALUES ('ConfigMap', 'ns1', ?, ?, ?)");
    for (const [rv, cm] of [sampleConfigMap("ns1", "old-web", { tier: "web" }), sampleConfigMap("ns1", "old-bare")].entries()) {
      insert.run(cm.metadata.name, rv + 1, JSON.stringify({ ...cm, metadata: { ...cm.metadata, resourceVersion: String(rv + 1) } }));
    }
    old.close();
    const store = await openSqliteStore({ path });
    try {
      assert.deepEqual((await store.list("ConfigMap", { labelSelector: "tier=web" })).items.map((o) => o.metadata.name), ["old-web"]);
      assert.deepEqual(jsonListItems(await store.listJson("ConfigMap", { labelSelector: "tier!=web" })).map((o) => o.metadata.name), ["old-bare"]);
    } finally {
      await store.close();
    }
  });

  test("listJson without a selector (bodies joined by SQLite) pages across namespaces exactly as list does", async () => {
    const store = await openSqliteStore({ path: ":memory:" });
    try {
      for (const ns of ["b", "a", "c"]) for (const n of ["z", "x", "y"]) await store.create(sampleConfigMap(`ns-${ns}`, `cm-${n}`));
      for (const opts of [{}, { limit: 2 }, { limit: 3 }, { limit: 4 }, { limit: 9 }, { limit: 10 }, { namespace: "ns-b", limit: 2 }, { namespace: "ns-none" }]) {
        let token: string | undefined;
        const [viaList, viaJson]: string[][] = [[], []];
        do {
          const [objects, texts] = [await store.list("ConfigMap", { ...opts, continue: token }), await store.listJson("ConfigMap", { ...opts, continue: token })];
          assert.deepEqual(jsonListItems(texts), objects.items, JSON.stringify(opts));
          assert.equal(texts.continue, objects.continue, `${JSON.stringify(opts)}: the same continue token`);
          viaList.push(...objects.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
          viaJson.push(...jsonListItems(texts).map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
          token = texts.continue;
        } while (token);
        assert.deepEqual(viaJson, viaList);
      }
      const all = jsonListItems(await store.listJson("ConfigMap")).map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
      assert.deepEqual(all, ["ns-a/cm-x", "ns-a/cm-y", "ns-a/cm-z", "ns-b/cm-x", "ns-b/cm-y", "ns-b/cm-z", "ns-c/cm-x", "ns-c/cm-y", "ns-c/cm-z"], "in (namespace, name) order");
      assert.deepEqual((await store.listJson("ConfigMap", { namespace: "ns-none" })).chunks, [], "nothing to list: no chunk");
    } finally {
      await store.close();
    }
  });

  test("data and the revision counter survive a reopen", async () => {
    const path = join(tempDir(), "store.db");
    const first = await openSqliteStore({ path });
    const created = await first.create(sampleVM("ns1", "keep"));
    await first.close();
    const second = await openSqliteStore({ path });
    try {
      assert.deepEqual(await second.get("VirtualMachine", "ns1", "keep"), created);
      assert.equal(await second.revision(), created.metadata.resourceVersion);
      const next = await second.create(sampleVM("ns1", "next"));
      assert.ok(Number(next.metadata.resourceVersion) > Number(created.metadata.resourceVersion));
    } finally {
      await second.close();
    }
  });

  test("secret values are sealed in the database file and readable through the store", async () => {
    const password = "pl41n-Passw0rd-for-grep";
    const encoded = Buffer.from(password).toString("base64");
    const secret = (name: string) => ({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace: "default" }, stringData: { password } });
    const key = randomBytes(32);

    const sealedDir = tempDir();
    const sealed = await openSqliteStore({ path: join(sealedDir, "store.db"), secretKey: key });
    await sealed.create(secret("vcenter"));
    await sealed.update({ ...(await sealed.get("Secret", "default", "vcenter")), metadata: { name: "vcenter", labels: { a: "b" } } });
    await sealed.close();
    const bytes = rawBytes(sealedDir);
    assert.ok(bytes.includes("vcenter"), "the file holds the secret's name (the grep works)");
    assert.ok(!bytes.includes(password), "no plain password in the file");
    assert.ok(!bytes.includes(encoded), "no base64 password in the file");

    // Control: without a key the same bytes would be visible, so the grep above can fail.
    const plainDir = tempDir();
    const plain = await openSqliteStore({ path: join(plainDir, "store.db") });
    await plain.create(secret("vcenter"));
    await plain.close();
    assert.ok(rawBytes(plainDir).includes(encoded));

    const reopened = await openSqliteStore({ path: join(sealedDir, "store.db"), secretKey: key });
    assert.deepEqual((await reopened.get("Secret", "default", "vcenter")).data, { password: encoded });
    await reopened.close();
    const wrongKey = await openSqliteStore({ path: join(sealedDir, "store.db"), secretKey: randomBytes(32) });
    await assert.rejects(wrongKey.get("Secret", "default", "vcenter"), /cannot be decrypted/);
    await wrongKey.close();
    const noKey = await openSqliteStore({ path: join(sealedDir, "store.db") });
    await assert.rejects(noKey.get("Secret", "default", "vcenter"), /encrypted at rest/);
    await noKey.close();
    await assert.rejects(openSqliteStore({ path: ":memory:", secretKey: randomBytes(16) }), /32 bytes/);
  });

  test("history beyond the limit is compacted: older watches get Gone (410), recent ones replay", async () => {
    const store = await openSqliteStore({ path: ":memory:", historyLimit: 3, historyRetentionMs: 0 });
    try {
      const first = await store.create(sampleConfigMap("h", "c0"));
      for (let i = 1; i < 8; i++) await store.create(sampleConfigMap("h", `c${i}`));
      await assert.rejects(drainWatch(store, "ConfigMap", { resourceVersion: first.metadata.resourceVersion }), apiError("Gone", 410));
      const recent = recordWatch(store, "ConfigMap", { resourceVersion: String(Number(await store.revision()) - 3) });
      assert.deepEqual(
        (await recent.waitFor(3)).map((e) => e.object.metadata.name),
        ["c5", "c6", "c7"],
      );
      await recent.stop();
      await assert.rejects(drainWatch(store, "ConfigMap", { resourceVersion: "999" }), apiError("Gone", 410));
      await assert.rejects(drainWatch(store, "ConfigMap", { resourceVersion: "abc" }), apiError("BadRequest", 400));
    } finally {
      await store.close();
    }
  });

  test("young events are kept even beyond the count limit", async () => {
    const store = await openSqliteStore({ path: ":memory:", historyLimit: 1 });
    try {
      const first = await store.create(sampleConfigMap("h", "a"));
      await store.create(sampleConfigMap("h", "b"));
      await store.create(sampleConfigMap("h", "c"));
      const watch = recordWatch(store, "ConfigMap", { resourceVersion: first.metadata.resourceVersion });
      assert.deepEqual(
        (await watch.waitFor(2)).map((e) => e.object.metadata.name),
        ["b", "c"],
      );
      await watch.stop();
    } finally {
      await store.close();
    }
  });

  test("a watcher that falls behind the kept history gets Gone while writers go on", async () => {
    const store = await openSqliteStore({ path: ":memory:", historyLimit: 5, historyRetentionMs: 0 });
    try {
      const start = await store.revision();
      const iterator = store.watch("ConfigMap", { resourceVersion: start })[Symbol.asyncIterator]();
      await store.create(sampleConfigMap("slow", "c0"));
      assert.equal((await iterator.next()).value?.object.metadata.name, "c0");
      for (let i = 1; i <= 20; i++) await store.create(sampleConfigMap("slow", `c${i}`));
      assert.equal((await store.list("ConfigMap", { namespace: "slow" })).items.length, 21, "writers were not held up");
      // The watcher read c0 and paged ahead at most a page; after that it must notice it fell behind.
      await assert.rejects(
        (async () => {
          for (;;) if ((await iterator.next()).done) return;
        })(),
        apiError("Gone", 410),
      );
    } finally {
      await store.close();
    }
  });

  test("an idle watcher is not made Gone by other kinds' history being compacted", async () => {
    const store = await openSqliteStore({ path: ":memory:", historyLimit: 2, historyRetentionMs: 0 });
    try {
      const watch = recordWatch(store, "ConfigMap", { resourceVersion: await store.revision() });
      await new Promise((resolve) => setTimeout(resolve, 10));
      for (let i = 0; i < 10; i++) await store.create(sampleVM("idle", `vm${i}`));
      await store.create(sampleConfigMap("idle", "cm"));
      assert.equal((await watch.waitFor(1))[0].object.metadata.name, "cm");
      await watch.stop();
    } finally {
      await store.close();
    }
  });

  test('watch from resourceVersion "0" starts with the current objects as ADDED', async () => {
    const store = await openSqliteStore({ path: ":memory:", historyLimit: 1, historyRetentionMs: 0 });
    try {
      const cm = await store.create(sampleConfigMap("z", "a"));
      await store.update({ ...cm, metadata: { ...cm.metadata, labels: { v: "2" } } });
      await store.create(sampleConfigMap("z", "b"));
      await store.compactHistory();
      const watch = recordWatch(store, "ConfigMap", { resourceVersion: "0" });
      await store.delete("ConfigMap", "z", "a");
      assert.deepEqual(
        (await watch.waitFor(3)).map((e) => `${e.type} ${e.object.metadata.name}`),
        ["ADDED a", "ADDED b", "DELETED a"],
      );
      await watch.stop();
    } finally {
      await store.close();
    }
  });

  test("bad list arguments are rejected with BadRequest", async () => {
    const store = await openSqliteStore({ path: ":memory:" });
    try {
      await assert.rejects(store.list("ConfigMap", { continue: "not-a-token" }), apiError("BadRequest", 400));
      await assert.rejects(store.list("ConfigMap", { limit: -1 }), apiError("BadRequest", 400));
      await assert.rejects(store.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "" } }), apiError("BadRequest", 400));
    } finally {
      await store.close();
    }
  });

  test("a closed store refuses work and ends its watches", async () => {
    const store = await openSqliteStore({ path: ":memory:" });
    const watch = recordWatch(store, "ConfigMap");
    await store.close();
    await watch.ended;
    await assert.rejects(store.get("ConfigMap", "default", "x"), apiError("ServiceUnavailable", 503));
  });
});

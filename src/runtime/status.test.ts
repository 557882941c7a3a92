import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { isApiError } from "../api/errors.ts";
import type { KubeObject } from "../api/meta.ts";
import { openSqliteStore, type SqliteStore } from "../store/sqlite/index.ts";
import { setCondition } from "./conditions.ts";
import { addFinalizer } from "./finalizers.ts";
import { patchObject, patchStatus, retryOnConflict } from "./status.ts";

type VM = KubeObject & { status?: { phase?: string; providerID?: string; conditions?: ReturnType<typeof setCondition> } };
const vm = (name: string): VM => ({ apiVersion: "landfall.dev/v1beta1", kind: "VirtualMachine", metadata: { name, namespace: "st" }, spec: { cpus: 1 } });

describe("patchStatus / patchObject (sqlite store)", () => {
  let store: SqliteStore;
  before(async () => {
    store = await openSqliteStore({ path: ":memory:" });
  });
  after(() => store.close());

  it("writes a mutation of the fresh status and keeps fields other writers set", async () => {
    await store.create(vm("a"));
    const stale = await store.get<VM>("VirtualMachine", "st", "a");
    // Another controller writes first; our cached copy is now stale.
    await store.updateStatus({ ...stale, status: { providerID: "dom-1" } });
    const out = await patchStatus<VM>(store, "VirtualMachine", "st", "a", (s) => {
      s.phase = "Running";
    });
    assert.deepEqual(out.status, { providerID: "dom-1", phase: "Running" });
  });

  it("skips the write when nothing changed", async () => {
    await store.create(vm("b"));
    const t = new Date("2026-01-01T00:00:00Z");
    const first = await patchStatus<VM>(store, "VirtualMachine", "st", "b", (s) => ({ ...s, conditions: setCondition(s.conditions, { type: "Ready", status: "True" }, t) }));
    const second = await patchStatus<VM>(store, "VirtualMachine", "st", "b", (s) => ({ ...s, conditions: setCondition(s.conditions, { type: "Ready", status: "True" }, new Date()) }));
    assert.equal(second.metadata.resourceVersion, first.metadata.resourceVersion);
    assert.equal(await store.revision(), first.metadata.resourceVersion);
  });

  it("re-reads and retries when a concurrent writer causes a Conflict", async () => {
    await store.create(vm("c"));
    // A store whose first status write loses a race against another writer (a real 409 from the store).
    let interfered = false;
    const racing = {
      ...store,
      updateStatus: async <T extends KubeObject>(obj: T) => {
        if (!interfered) {
          interfered = true;
          const cur = await store.get<VM>("VirtualMachine", "st", "c");
          await store.updateStatus({ ...cur, status: { ...cur.status, providerID: "other-writer" } });
        }
        return store.updateStatus(obj);
      },
    } as SqliteStore;
    let attempts = 0;
    const result = await patchStatus<VM>(racing, "VirtualMachine", "st", "c", (s) => {
      attempts++;
      s.phase = "Running";
    });
    assert.equal(attempts, 2, "second attempt after the Conflict");
    assert.equal(result.status?.providerID, "other-writer", "the other writer's field survived");
    assert.equal(result.status?.phase, "Running");
  });

  it("gives up after the attempts and propagates NotFound", async () => {
    let n = 0;
    await assert.rejects(
      retryOnConflict(async () => {
        n++;
        const { ApiError } = await import("../api/errors.ts");
        throw new ApiError("Conflict", "always stale");
      }, 3),
      (e) => isApiError(e, "Conflict"),
    );
    assert.equal(n, 3);
    await assert.rejects(patchStatus(store, "VirtualMachine", "st", "missing", () => {}), (e) => isApiError(e, "NotFound"));
  });

  it("patchObject updates metadata (finalizers) and skips no-ops", async () => {
    await store.create(vm("d"));
    const f = "landfall.dev/cleanup";
    const a = await patchObject<VM>(store, "VirtualMachine", "st", "d", (o) => addFinalizer(o, f));
    assert.deepEqual(a.metadata.finalizers, [f]);
    const b = await patchObject<VM>(store, "VirtualMachine", "st", "d", (o) => addFinalizer(o, f));
    assert.equal(b.metadata.resourceVersion, a.metadata.resourceVersion);
  });
});

// A Table built from the stored fields (store.listFields + tableFields) is the Table built from whole objects,
// cell for cell and row object for row object, for every kind's printer columns and objects of every shape
// a column can meet: values of the column's type, of other types, null, missing, a non-object on the way.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { KINDS } from "../api/kinds.ts";
import type { KubeObject } from "../api/meta.ts";
import { fieldKeys } from "../store/fields.ts";
import { openSqliteStore, type SqliteStore } from "../store/sqlite/index.ts";
import { columnsFor, type IncludeObject, tableFields, tableFor } from "./table.ts";

const NOW = new Date("2026-11-30T09:00:00Z");
const CONDITIONS = [
  { type: "Other", status: "False", reason: "Nope" },
  { type: "Ready", status: "True", reason: "Fine" },
];

/** Sets value at the dotted field of obj, creating objects on the way. */
function setAt(obj: Record<string, unknown>, field: string, value: unknown): void {
  const keys = fieldKeys(field);
  let node = obj;
  for (const key of keys.slice(0, -1)) {
    if (!node[key] || typeof node[key] !== "object") node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

/** Objects of kind in the shapes its columns can meet, one per shape. */
function shapes(kind: string, namespace: string): KubeObject[] {
  const info = KINDS.find((k) => k.kind === kind)!;
  const columns = columnsFor(info);
  const rootedOf = (path: string) => path.match(/^(?:\.[A-Za-z0-9_-]+)+/)![0].slice(1);
  const typed = (type: string) => (type === "integer" ? 3 : type === "number" ? 2.5 : type === "boolean" ? true : type === "date" ? "2026-11-30T08:00:00Z" : "value");
  const variants: Array<(path: string, type: string) => unknown> = [
    (path, type) => (path.includes("[") ? CONDITIONS : typed(type)),
    (path) => (path.includes("[") ? [{ type: "Ready" }] : { nested: [1, "two"] }),
    () => null,
    () => "7",
    () => undefined,
  ];
  const objects: KubeObject[] = variants.map((variant, i) => {
    const obj: Record<string, unknown> = {
      apiVersion: "landfall.dev/v1beta1",
      kind,
      metadata: { name: `obj-${i}`, namespace, labels: { shape: String(i) }, annotations: { note: 'ü "quoted" \\ back' } },
    };
    for (const c of columns) {
      const value = variant(c.jsonPath, c.type);
      if (value !== undefined && !c.jsonPath.startsWith(".metadata")) setAt(obj, rootedOf(c.jsonPath), value);
    }
    return obj as KubeObject;
  });
  // A non-object where a column's path goes on (spec and status as scalars), and no spec or status at all.
  objects.push({ apiVersion: "landfall.dev/v1beta1", kind, metadata: { name: "scalars", namespace }, spec: "text", status: 12 } as KubeObject);
  objects.push({ apiVersion: "landfall.dev/v1beta1", kind, metadata: { name: "bare", namespace } });
  return objects;
}

describe("Tables from stored fields", () => {
  let store: SqliteStore;
  before(async () => {
    store = await openSqliteStore({ path: ":memory:" });
  });
  after(async () => {
    await store.close();
  });

  for (const info of KINDS.filter((k) => k.kind !== "Secret")) {
    it(`${info.kind}: the same Table as from whole objects (every page, with and without row metadata)`, async () => {
      const namespace = `tf-${info.plural}`;
      for (const obj of shapes(info.kind, namespace)) {
        // create keeps no status (the status subresource does): write it as the controllers would.
        const created = await store.create(obj);
        if (obj.status !== undefined && info.hasStatus) await store.updateStatus({ ...created, status: obj.status });
      }
      const stored = await store.list(info.kind, { namespace });
      const withStatus = stored.items.filter((o) => o.status !== undefined).length;
      if (columnsFor(info).some((c) => c.jsonPath.startsWith(".status"))) assert.equal(withStatus, 5, "the shapes' statuses are stored");
      for (const includeObject of ["Metadata", "None"] as IncludeObject[]) {
        for (const limit of [0, 3]) {
          let token: string | undefined;
          let rows = 0;
          do {
            const opts = { namespace, limit, continue: token };
            const [whole, reduced] = [await store.list(info.kind, opts), await store.listFields(info.kind, tableFields(info), opts)];
            const extra = { includeObject, now: NOW, resourceVersion: whole.resourceVersion, continue: whole.continue };
            assert.deepEqual(tableFor(info, reduced.items, extra), tableFor(info, whole.items, extra), `${info.kind} ${includeObject} ${JSON.stringify(opts)}`);
            rows += whole.items.length;
            token = whole.continue;
          } while (token);
          assert.equal(rows, 7, "every shape was compared");
        }
      }
    });
  }

  it("reads only metadata and each column's path up to its first filter or index", () => {
    const provider = KINDS.find((k) => k.kind === "Provider")!;
    assert.deepEqual(tableFields(provider), ["metadata", "spec.type", "status.conditions", "status.inventory.vms"]);
    const configMap = KINDS.find((k) => k.kind === "ConfigMap")!;
    assert.deepEqual(tableFields(configMap), ["metadata"], "Age is in metadata");
  });
});

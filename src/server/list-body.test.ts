import assert from "node:assert/strict";
import { test } from "node:test";
import { listBody } from "./list-body.ts";

test("a list body from JSON items parses to the list the objects would make", () => {
  const items = [{ kind: "ConfigMap", metadata: { name: "a", labels: { "x/y": "q\"uote" } } }, { kind: "ConfigMap", metadata: { name: "b" } }];
  // Chunks of one and of several items, as stores hand them over.
  const chunks = [Buffer.from(JSON.stringify(items[0])), Buffer.from(items.slice(1).map((o) => JSON.stringify(o)).join(","))];
  assert.deepEqual(JSON.parse(listBody("v1", "ConfigMapList", { resourceVersion: "42", continue: "tok" }, chunks).toString("utf8")), { apiVersion: "v1", kind: "ConfigMapList", metadata: { resourceVersion: "42", continue: "tok" }, items });
});

test("an empty list without continue has items [] and no continue field", () => {
  assert.deepEqual(JSON.parse(listBody("landfall.dev/v1beta1", "VMMigrationList", { resourceVersion: "7" }, []).toString("utf8")), {
    apiVersion: "landfall.dev/v1beta1",
    kind: "VMMigrationList",
    metadata: { resourceVersion: "7" },
    items: [],
  });
});

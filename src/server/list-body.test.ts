import assert from "node:assert/strict";
import { test } from "node:test";
import { listBodyText } from "./list-body.ts";

test("a list body from JSON items parses to the list the objects would make", () => {
  const items = [{ kind: "ConfigMap", metadata: { name: "a", labels: { "x/y": "q\"uote" } } }, { kind: "ConfigMap", metadata: { name: "b" } }];
  const text = listBodyText("v1", "ConfigMapList", { resourceVersion: "42", continue: "tok" }, items.map((o) => JSON.stringify(o)));
  assert.deepEqual(JSON.parse(text), { apiVersion: "v1", kind: "ConfigMapList", metadata: { resourceVersion: "42", continue: "tok" }, items });
});

test("an empty list without continue has items [] and no continue field", () => {
  assert.deepEqual(JSON.parse(listBodyText("landfall.dev/v1beta1", "VMMigrationList", { resourceVersion: "7" }, [])), {
    apiVersion: "landfall.dev/v1beta1",
    kind: "VMMigrationList",
    metadata: { resourceVersion: "7" },
    items: [],
  });
});

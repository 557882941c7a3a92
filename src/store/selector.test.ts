import assert from "node:assert/strict";
import { test } from "node:test";
import { isApiError } from "../api/errors.ts";
import { eventThroughSelector } from "./event-filter.ts";
import { labelSelectorMatcher, parseLabelSelector } from "./selector.ts";

const web = { app: "web", tier: "front" };
const db = { app: "db" };

test("parses every operator into requirements", () => {
  assert.deepEqual(parseLabelSelector("a=b, c==d ,e!=f,g,!h,i in (x, y),j notin (z),k="), [
    { key: "a", operator: "In", values: ["b"] },
    { key: "c", operator: "In", values: ["d"] },
    { key: "e", operator: "NotIn", values: ["f"] },
    { key: "g", operator: "Exists" },
    { key: "h", operator: "DoesNotExist" },
    { key: "i", operator: "In", values: ["x", "y"] },
    { key: "j", operator: "NotIn", values: ["z"] },
    { key: "k", operator: "In", values: [""] },
  ]);
  assert.deepEqual(parseLabelSelector("landfall.dev/adopted=true"), [{ key: "landfall.dev/adopted", operator: "In", values: ["true"] }]);
});

test("matches like Kubernetes, including absent labels for != and notin", () => {
  const cases: [string, Record<string, string> | undefined, boolean][] = [
    ["", web, true],
    ["app=web", web, true],
    ["app=web", db, false],
    ["app=web,tier=front", web, true],
    ["app=web,tier=back", web, false],
    ["tier!=front", db, true],
    ["tier!=front", web, false],
    ["tier", web, true],
    ["tier", undefined, false],
    ["!tier", db, true],
    ["!tier", web, false],
    ["app in (db,web)", db, true],
    ["app in (db)", web, false],
    ["tier notin (front)", db, true],
    ["tier notin (front)", web, false],
    ["app=", { app: "" }, true],
  ];
  for (const [selector, labels, expected] of cases) {
    assert.equal(labelSelectorMatcher(selector)(labels), expected, `${selector} on ${JSON.stringify(labels)}`);
  }
  assert.equal(labelSelectorMatcher(undefined)(undefined), true);
});

test("bad syntax is a BadRequest that names the selector", () => {
  for (const bad of ["a=b,,c", "a in (x", "a in x)", "a in ()", "=b", "a=b c", "a=(b)", "bad key!=x", "a notin(x,(y))"]) {
    assert.throws(
      () => parseLabelSelector(bad),
      (err: unknown) => isApiError(err, "BadRequest") && err.code === 400 && err.message.includes(`"${bad}"`),
      bad,
    );
  }
  assert.throws(() => parseLabelSelector(`a=${"x".repeat(64)}`), /not a valid label value/);
});

test("a label-selector watch reports objects entering and leaving the selection", () => {
  const matches = labelSelectorMatcher("app=web");
  assert.equal(eventThroughSelector("ADDED", web, undefined, matches), "ADDED");
  assert.equal(eventThroughSelector("ADDED", db, undefined, matches), undefined);
  assert.equal(eventThroughSelector("MODIFIED", web, web, matches), "MODIFIED");
  assert.equal(eventThroughSelector("MODIFIED", web, db, matches), "ADDED");
  assert.equal(eventThroughSelector("MODIFIED", db, web, matches), "DELETED");
  assert.equal(eventThroughSelector("MODIFIED", db, db, matches), undefined);
  assert.equal(eventThroughSelector("DELETED", web, web, matches), "DELETED");
  assert.equal(eventThroughSelector("DELETED", db, db, matches), undefined);
});

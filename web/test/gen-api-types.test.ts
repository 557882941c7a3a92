// The generated API types are current: regenerating from src/api gives the committed file byte for byte.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { generate, toTypeScript } from "../scripts/gen-api-types.ts";

test("web/src/api/generated.ts matches src/api", async () => {
  const committed = await readFile(new URL("../src/api/generated.ts", import.meta.url), "utf8");
  assert.equal(committed, generate(), "run: node web/scripts/gen-api-types.ts");
});

test("schema → type: literals, records, optional fields, anyOf-as-constraint", () => {
  assert.equal(toTypeScript({ anyOf: [{ const: "On" }, { const: "Off" }] }), '"On" | "Off"');
  assert.equal(toTypeScript({ type: "object", patternProperties: { "^a": { type: "string" } } }), "Record<string, string>");
  assert.equal(
    toTypeScript({ type: "object", properties: { name: { type: "string" }, id: { type: "string" } }, required: ["name"], anyOf: [{ required: ["name"] }] } as never),
    "{\n  name: string;\n  id?: string;\n}",
  );
});

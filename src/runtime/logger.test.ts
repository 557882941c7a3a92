import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError } from "../api/errors.ts";
import { createLogger, parseLogLevel, REDACTED, redact } from "./logger.ts";

const fixed = () => new Date("2026-01-01T00:00:00Z");

describe("logger", () => {
  it("writes JSON lines at or above its level, with child bindings", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "info", format: "json", write: (l) => lines.push(l), now: fixed }).child({ controller: "vm" });
    log.debug("hidden");
    log.info("reconciled", { key: "ns/a" });
    log.error("failed", { error: new ApiError("Conflict", "stale") });
    assert.equal(lines.length, 2);
    assert.deepEqual(JSON.parse(lines[0]), { time: "2026-01-01T00:00:00.000Z", level: "info", msg: "reconciled", controller: "vm", key: "ns/a" });
    assert.deepEqual(JSON.parse(lines[1]).error, { name: "ApiError", message: "stale", reason: "Conflict" });
  });

  it("writes text lines for people", () => {
    const lines: string[] = [];
    createLogger({ level: "debug", format: "text", write: (l) => lines.push(l), now: fixed }).warn("slow disk", { key: "ns/a", note: "two words", uid: undefined });
    assert.equal(lines[0], '2026-01-01T00:00:00.000Z WARN  slow disk key=ns/a note="two words"', "a field without a value is left out, as in JSON");
  });

  it("never logs Secret data or credential fields", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "debug", write: (l) => lines.push(l) });
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "vc" }, data: { password: "cGFzcw==" }, stringData: { user: "u" } };
    log.info("applied", { object: secret, auth: { username: "admin", password: "hunter2", token: "abc" } });
    const text = lines[0];
    for (const leaked of ["cGFzcw==", "hunter2", '"abc"', '"u"']) assert.ok(!text.includes(leaked), `${leaked} leaked: ${text}`);
    const parsed = JSON.parse(text);
    assert.equal(parsed.object.data, REDACTED);
    assert.equal(parsed.object.metadata.name, "vc");
    assert.equal(parsed.auth.username, "admin");
    // A ConfigMap's data is not secret.
    assert.deepEqual(redact({ kind: "ConfigMap", data: { a: "1" } }), { kind: "ConfigMap", data: { a: "1" } });
  });

  it("survives cycles and reads the level from LANDFALL_LOG_LEVEL", () => {
    const a: Record<string, unknown> = { name: "a" };
    a.self = a;
    assert.deepEqual(redact(a), { name: "a", self: "[…]" });
    assert.equal(parseLogLevel("WARN"), "warn");
    assert.equal(parseLogLevel("bogus"), "info");
    const saved = process.env.LANDFALL_LOG_LEVEL;
    process.env.LANDFALL_LOG_LEVEL = "error";
    try {
      assert.equal(createLogger({ write: () => {} }).level, "error");
    } finally {
      if (saved === undefined) delete process.env.LANDFALL_LOG_LEVEL;
      else process.env.LANDFALL_LOG_LEVEL = saved;
    }
  });
});

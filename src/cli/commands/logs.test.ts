import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { eventsTable } from "./logs.ts";

describe("logs", () => {
  it("lists events oldest first, with repeat counts", () => {
    const table = eventsTable([
      { type: "Warning", reason: "ChecksumMismatch", message: "disk-0 differs", timestamp: "2026-01-01T10:05:00Z", count: 3 },
      { type: "Normal", reason: "PhaseChanged", message: "Validating", timestamp: "2026-01-01T10:00:00Z", count: 1 },
    ]);
    const lines = table.trimEnd().split("\n").map((l) => l.split(/\s{2,}/));
    assert.deepEqual(lines, [
      ["TIME", "TYPE", "REASON", "MESSAGE"],
      ["2026-01-01T10:00:00Z", "Normal", "PhaseChanged", "Validating"],
      ["2026-01-01T10:05:00Z", "Warning", "ChecksumMismatch", "disk-0 differs (x3)"],
    ]);
  });
});

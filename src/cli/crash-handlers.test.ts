// `landfall serve` is crash-only: an unhandled rejection or exception is logged through the project logger
// with its cause, and the process exits non-zero instead of running on in an unknown state.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { CRASH_EXIT_CODE } from "./crash-handlers.ts";

const fixture = new URL("./crash-handlers.fixture.ts", import.meta.url).pathname;

function runFixture(mode: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ["--no-warnings", fixture, mode], { timeout: 20_000 }, (_error, stdout, stderr) => {
      resolve({ code: child.exitCode, stdout, stderr });
    });
  });
}

for (const [mode, what, cause] of [
  ["rejection", "unhandled promise rejection", "status write failed: disk full"],
  ["exception", "uncaught exception", "socket exploded"],
] as const) {
  test(`an ${what} is logged with its cause and ends the process with exit code ${CRASH_EXIT_CODE}`, async () => {
    const { code, stdout, stderr } = await runFixture(mode);
    assert.equal(code, CRASH_EXIT_CODE, `stderr: ${stderr}`);
    assert.equal(stdout, "", "the process ran on after the crash");
    const lines = stderr.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines.length, 1, stderr);
    assert.equal(lines[0].level, "error");
    assert.match(String(lines[0].msg), new RegExp(`^${what}: exiting`));
    assert.equal(lines[0].error, cause);
    assert.match(String(lines[0].stack), /crash-handlers\.fixture\.ts/);
  });
}

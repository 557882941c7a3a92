// The one process runner: argument arrays, stdin, stderr in errors, timeouts, and the concurrency bound.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runTool, Semaphore, ToolError, ToolRunner } from "./run-tool.ts";

test("the semaphore never lets more than its limit run", async () => {
  const slots = new Semaphore(2);
  let running = 0;
  let peak = 0;
  const work = async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 5));
    running--;
  };
  await Promise.all(Array.from({ length: 9 }, () => slots.run(work)));
  assert.equal(peak, 2);
  assert.equal(slots.active, 0);
});

test("the runner bounds tools and bounded work together", async () => {
  const runner = new ToolRunner(2);
  let peak = 0;
  const sample = setInterval(() => {
    peak = Math.max(peak, runner.active);
  }, 1);
  const sleeper = () => runner.run(process.execPath, ["-e", "setTimeout(() => {}, 150)"]);
  await Promise.all([sleeper(), sleeper(), runner.bounded(() => new Promise((r) => setTimeout(r, 150))), sleeper()]);
  clearInterval(sample);
  assert.equal(peak, 2);
  assert.equal(runner.active, 0);
});

test("arguments pass through verbatim (no shell) and stdin reaches the child", async () => {
  const runner = new ToolRunner(2);
  const stdout = await runner.run(process.execPath, ["-e", "process.stdout.write(process.argv[1])", "a b;$(rm -rf /)"]);
  assert.equal(stdout, "a b;$(rm -rf /)");
  const echoed = await runner.run(process.execPath, ["-e", "process.stdin.pipe(process.stdout)"], { input: "<domain/>" });
  assert.equal(echoed, "<domain/>");
});

test("a failing command rejects with its exit code and stderr", async () => {
  await assert.rejects(runTool(process.execPath, ["-e", "console.error('pool is gone'); process.exit(3)"], { timeoutMs: 10_000 }), (error: unknown) => {
    assert.ok(error instanceof ToolError);
    assert.equal(error.exitCode, 3);
    assert.equal(error.timedOut, false);
    assert.match(error.message, /exited with code 3: pool is gone/);
    assert.equal(error.stderr, "pool is gone");
    return true;
  });
});

test("a hung command is killed at its timeout, and its slot is released", async () => {
  const runner = new ToolRunner(1);
  await assert.rejects(runner.run(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { timeoutMs: 300 }), (error: unknown) => {
    assert.ok(error instanceof ToolError);
    assert.equal(error.timedOut, true);
    assert.match(error.message, /no answer within 300 ms/);
    return true;
  });
  assert.equal(runner.active, 0);
});

test("an abort signal kills the tool", async () => {
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(), 100);
  await assert.rejects(runTool(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { timeoutMs: 60_000, signal: controller.signal }), ToolError);
  assert.ok(Date.now() - started < 10_000);
});

test("a missing program is an error naming it", async () => {
  const started = Date.now();
  await assert.rejects(new ToolRunner().run("no-such-virsh-binary", []), /no-such-virsh-binary is not installed.*ENOENT/);
  assert.ok(Date.now() - started < 5_000, "no timer keeps a failed spawn waiting");
});

test("a tool whose lines go to onOutputLine: every line arrives, the last one unterminated too, and stdout is not kept", async () => {
  const lines: string[] = [];
  const out = await runTool("sh", ["-c", "printf 'a\\nb\\n'; printf 'err\\n' >&2; printf 'c'"], { timeoutMs: 5000, onOutputLine: (line) => lines.push(line) });
  assert.equal(out, "");
  assert.deepEqual(lines.sort(), ["a", "b", "c", "err"]);
});

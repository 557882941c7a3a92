import assert from "node:assert/strict";
import { test } from "node:test";
import { LibvirtError } from "./errors.ts";
import { ProcessRunner, Semaphore } from "./process.ts";

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

test("arguments pass through verbatim (no shell) and stdin reaches the child", async () => {
  const runner = new ProcessRunner(2);
  const { stdout } = await runner.run(process.execPath, ["-e", "process.stdout.write(process.argv[1])", "a b;$(rm -rf /)"]);
  assert.equal(stdout, "a b;$(rm -rf /)");
  const echoed = await runner.run(process.execPath, ["-e", "process.stdin.pipe(process.stdout)"], { input: "<domain/>" });
  assert.equal(echoed.stdout, "<domain/>");
});

test("a failing command rejects with its exit code and stderr", async () => {
  const runner = new ProcessRunner(1);
  await assert.rejects(runner.run(process.execPath, ["-e", "console.error('pool is gone'); process.exit(3)"]), (error) => {
    assert.ok(error instanceof LibvirtError);
    assert.equal(error.code, "CommandFailed");
    assert.match(error.message, /exit code 3: pool is gone/);
    assert.equal(error.stderr, "pool is gone");
    return true;
  });
});

test("a hung command is killed at its timeout", async () => {
  const runner = new ProcessRunner(1);
  await assert.rejects(runner.run(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { timeoutMs: 300 }), (error) => {
    assert.ok(error instanceof LibvirtError);
    assert.equal(error.code, "Timeout");
    return true;
  });
  assert.equal(runner.active, 0, "the slot is released");
});

test("a missing program is a CommandFailed error naming it", async () => {
  await assert.rejects(new ProcessRunner().run("no-such-virsh-binary", []), /no-such-virsh-binary.*ENOENT/);
});

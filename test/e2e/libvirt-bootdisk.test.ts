// The boot-disk fixture really boots: QEMU runs the hand-assembled boot sector and the marker reaches COM1.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { bootSector, waitForConsole, writeBootDisk } from "../harness/bootdisk.ts";

let dir = "";
const children: Array<ReturnType<typeof spawn>> = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "landfall-bootdisk-"));
});

after(async () => {
  for (const child of children) child.kill("SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

test("boot sector carries the 0x55AA signature and the marker", () => {
  const sector = bootSector("HELLO-42");
  assert.equal(sector.length, 512);
  assert.equal(sector[510], 0x55);
  assert.equal(sector[511], 0xaa);
  assert.ok(sector.includes(Buffer.from("HELLO-42\r\n\0")));
  assert.throws(() => bootSector("x".repeat(500)), /at most/);
});

test("writeBootDisk writes the exact size; random fill differs from zero fill", async () => {
  const zero = join(dir, "zero.raw");
  const random = join(dir, "random.raw");
  await writeBootDisk(zero, { sizeBytes: 2 << 20, marker: "Z" });
  await writeBootDisk(random, { sizeBytes: 2 << 20, marker: "Z", fill: "random" });
  assert.equal((await stat(zero)).size, 2 << 20);
  assert.equal((await stat(random)).size, 2 << 20);
  const z = await readFile(zero);
  const r = await readFile(random);
  assert.deepEqual(z.subarray(0, 512), r.subarray(0, 512));
  assert.ok(z.subarray(512).every((b) => b === 0));
  assert.ok(r.subarray(512).some((b) => b !== 0));
});

test("qemu boots the disk and prints the marker on COM1", async () => {
  const disk = join(dir, "boot.raw");
  const log = join(dir, "serial.log");
  const marker = `landfall-boot-${process.pid}`;
  await writeBootDisk(disk, { sizeBytes: 1 << 20, marker, fill: "random" });
  const accel = (await stat("/dev/kvm").catch(() => undefined)) ? "accel=kvm:tcg" : "accel=tcg";
  const child = spawn(
    "qemu-system-x86_64",
    ["-nodefaults", "-display", "none", "-machine", accel, "-m", "32", "-serial", `file:${log}`, "-drive", `file=${disk},format=raw`],
    { stdio: ["ignore", "ignore", "pipe"], timeout: 60_000, killSignal: "SIGKILL" },
  );
  children.push(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<never>((_, reject) => {
    child.on("exit", (code) => reject(new Error(`qemu exited (${code}) before the marker: ${stderr}`)));
  });
  const output = await Promise.race([waitForConsole(log, marker, 30_000), exited]);
  assert.match(output, new RegExp(`${marker}\\r\\n`));
  child.kill("SIGKILL");
});

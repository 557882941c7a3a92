// The fault matrix: real vcsim, real libvirtd + QEMU, real qemu-img, real server processes. For every step
// boundary of a migration, the test-only composition (test/harness/faulty-serve.ts) SIGKILLs the server right
// there; a normal `bin/landfall serve` on the same data dir must then converge to Succeeded with every disk's
// guest bytes equal to the source's (hashed by the test from the simulator's own files), one volume per disk,
// one domain, no staging file, no snapshot, and the source's power state as the user asked. Further rows: the
// source connection reset mid-disk, a source that stalls, a source that keeps returning short reads, the target
// filesystem full after Validating, a Provider/Secret edit
// mid-transfer, a second server on the same data dir. Prints a table: fault, runs, recovered, data lost.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import type { Provider } from "../../src/api/provider.ts";
import type { Secret } from "../../src/api/secret.ts";
import type { VMMigration } from "../../src/api/vmmigration.ts";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import { exited, startFaultyServer } from "../harness/faulty-server.ts";
import type { FaultPoint } from "../harness/faulty-wiring.ts";
import { api, applyYaml, resourcePath, waitFor } from "../harness/landfall.ts";
import { createTempLibvirt, guestBytesSha256, type TempLibvirt, virsh } from "../harness/libvirt.ts";
import { applySourceAndTarget, libvirtProviderYaml } from "../harness/providers.ts";
import { sha256File, startVcsim, type Vcsim, writeRandomContent } from "../harness/vcsim/harness.ts";
import { snapshotNames } from "../harness/vcsim/snapshots.ts";

const exec = promisify(execFile);
const MiB = 1 << 20;
const env = { LANDFALL_LOG_FORMAT: "text" };

interface CrashRow {
  fault: string;
  at: FaultPoint;
  vm: string;
  disks: number[];
  mode?: "cold" | "snapshot";
  restoreSourcePower?: boolean;
  bandwidthMiBps?: number;
  /** The crash comes before the migration enters this phase (checked in the killed server's log). */
  before?: string;
}

const CRASH_ROWS: CrashRow[] = [
  { fault: "crash after the guest is shut down", at: "afterShutdown", vm: "f-shutdown", disks: [6 * MiB], restoreSourcePower: true },
  { fault: "crash after the snapshot exists", at: "afterSnapshot", vm: "f-snapshot", disks: [6 * MiB], mode: "snapshot" },
  // Transfers read 4 MiB chunks, 4 at a time, and checkpoint after whole chunks: a checkpoint mid-disk needs > 16 MiB.
  { fault: "crash mid-transfer", at: "midTransfer", vm: "f-midxfer", disks: [40 * MiB, 4 * MiB], bandwidthMiBps: 16 },
  { fault: "crash after the last chunk, before Transferred", at: "afterLastChunk", vm: "f-lastchunk", disks: [6 * MiB] },
  { fault: "crash mid-convert", at: "midConvert", vm: "f-midconv", disks: [32 * MiB] },
  { fault: "crash after convert, before it is recorded", at: "afterConvert", vm: "f-conv", disks: [6 * MiB, 4 * MiB] },
  // The small disk arrives first and is converted while the throttled big one still transfers (phase-transfer.ts).
  { fault: "crash after a disk converted on arrival, a sibling still transferring", at: "afterConvert", vm: "f-arrival", disks: [40 * MiB, 4 * MiB], bandwidthMiBps: 16, before: "Converting" },
  { fault: "crash after the volume moves into the pool", at: "afterImport", vm: "f-import", disks: [6 * MiB] },
  { fault: "crash after the domain is defined", at: "afterDefine", vm: "f-define", disks: [6 * MiB] },
  { fault: "crash before Succeeded", at: "beforeSucceeded", vm: "f-final", disks: [6 * MiB], restoreSourcePower: true },
];
const RESET_VM = "f-reset";
const STALL_VM = "f-stall";
const SHORT_VM = "f-short";
const FULL_VM = "f-full";
const EDIT_VM = "f-edit";

let vc: Vcsim;
let lv: TempLibvirt;
let ns: string;
let dataDir: string;
let smallPool: string | undefined;
let srv: ServeProcess | undefined;
const table: Array<{ fault: string; runs: number; recovered: string; dataLost: number }> = [];

before(async () => {
  lv = await createTempLibvirt("faults");
  ns = lv.prefix;
  const content = async (name: string, i: number, size: number) => {
    const path = join(lv.scratchDir, `${name}-${i}.raw`);
    await writeRandomContent(path, size);
    return { contentPath: path, capacityBytes: size };
  };
  const vms = [];
  for (const row of [...CRASH_ROWS, { vm: RESET_VM, disks: [8 * MiB] }, { vm: STALL_VM, disks: [12 * MiB] }, { vm: SHORT_VM, disks: [12 * MiB] }, { vm: FULL_VM, disks: [16 * MiB] }, { vm: EDIT_VM, disks: [96 * MiB] }]) {
    vms.push({ name: row.vm, uuid: randomUUID(), cpus: 1, memoryMiB: 64, powerOn: true, disks: await Promise.all(row.disks.map((size, i) => content(row.vm, i, size))) });
  }
  vc = await startVcsim({ vms });
  dataDir = await mkdtemp(join(tmpdir(), "landfall-faults-"));
  // A size-limited filesystem for the "target storage full" row: a tmpfs of 40 MiB mounted as a pool directory.
  smallPool = join(lv.poolPath, "..", "small-pool");
  await mkdir(smallPool, { recursive: true });
  await exec("mount", ["-t", "tmpfs", "-o", "size=40m", "tmpfs", smallPool]);
  srv = await startServeProcess({ dataDir, env });
  await applySourceAndTarget(srv, ns, vc, lv, { more: [libvirtProviderYaml(ns, { pool: `${lv.prefix}-small`, poolPath: smallPool }, "kvm-small")] });
  await srv.stop();
  srv = undefined;
});

after(async () => {
  await srv?.stop();
  process.stdout.write(`\nfault matrix (real vcsim, libvirtd, QEMU, qemu-img; SIGKILL by the test-only composition)\n${formatTable()}\n`);
  await vc?.stop();
  if (smallPool) await exec("umount", [smallPool]).catch(() => undefined);
  await lv?.cleanup();
  if (dataDir) {
    await rm(dataDir, { recursive: true, force: true });
    await rm(`${dataDir}.fault.json`, { force: true });
  }
});

function formatTable(): string {
  const rows = [["fault", "runs", "recovered", "data lost"], ...table.map((r) => [r.fault, String(r.runs), r.recovered, String(r.dataLost)])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ")).join("\n");
}

function migrationYaml(vm: string, opts: { mode?: string; restoreSourcePower?: boolean; bandwidthMiBps?: number; target?: string } = {}): string {
  const extra = [
    opts.mode ? `, mode: ${opts.mode}` : "",
    opts.restoreSourcePower ? ", restoreSourcePower: true" : "",
    opts.bandwidthMiBps ? `, bandwidthMiBps: ${opts.bandwidthMiBps}` : "",
  ].join("");
  return `apiVersion: landfall.dev/v1beta1
kind: VMMigration
metadata: {name: ${vm}, namespace: ${ns}}
spec:
  source: {providerRef: {name: vcenter}, vmName: ${vm}}
  target: {providerRef: {name: ${opts.target ?? "kvm"}}, vmName: ${vm}, powerOn: false}
  options: {diskFormat: qcow2, verifyChecksums: true${extra}}
`;
}

const migration = async (s: ServeProcess, name: string) => (await api<VMMigration>(s, resourcePath(ns, "vmmigrations", name))).body;
/** The migration once Succeeded or Failed; a timeout says where it stood and what the server last logged. */
async function finished(s: ServeProcess, name: string, timeoutMs = 120_000): Promise<VMMigration> {
  let last: VMMigration | undefined;
  try {
    return await waitFor(`VMMigration ${name} to finish`, timeoutMs, async () => {
      last = await migration(s, name);
      return last.status?.phase === "Succeeded" || last.status?.phase === "Failed" ? last : undefined;
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}; it was ${last?.status?.phase} (${last?.status?.message}), disks ${JSON.stringify(last?.status?.disks)}; the server's log ends:\n${s.output().slice(-4000)}`);
  }
}

async function sourcePower(s: ServeProcess, vm: string): Promise<string | undefined> {
  const inv = await api<{ items: Array<{ name: string; powerState: string }> }>(s, `${resourcePath(ns, "providers", "vcenter")}/vms`);
  return inv.body.items.find((v) => v.name === vm)?.powerState;
}

/** sha256 of each source disk's bytes, from the simulator's own datastore files (not through landfall). */
async function sourceSums(vm: string, sizes: number[]): Promise<string[]> {
  return Promise.all(sizes.map((size, i) => sha256File(join(vc.datastoreDir, vm, `${vm}_${i}-flat.vmdk`), size)));
}

/** Waits until the server dies (its fault fired) or the migration ends without the fault firing (a failure). */
async function crashOrFinish(s: ServeProcess, vm: string, timeoutMs = 90_000): Promise<unknown> {
  const gone = exited(s, timeoutMs);
  let how: unknown;
  void gone.then((h) => {
    how = h;
  }, () => undefined);
  const deadline = Date.now() + timeoutMs;
  while (how === undefined && Date.now() < deadline) {
    const phase = await migration(s, vm).then((m) => m.status?.phase, () => undefined);
    if (how === undefined && (phase === "Succeeded" || phase === "Failed")) return `the migration ended ${phase} and the fault never fired`;
    await new Promise((r) => setTimeout(r, 200));
  }
  return gone;
}

/** Every invariant a converged migration must hold; returns how many disks lost data (0 is the only pass). */
async function checkConverged(s: ServeProcess, vm: string, sizes: number[], expectedPower: string): Promise<number> {
  const m = await migration(s, vm);
  assert.equal(m.status?.phase, "Succeeded", m.status?.message);
  const disks = m.status?.disks ?? [];
  assert.equal(disks.length, sizes.length, "every disk migrated");
  const want = await sourceSums(vm, sizes);
  let lost = 0;
  for (const [i, d] of disks.entries()) {
    const got = await guestBytesSha256(d.targetPath as string, "qcow2").catch(() => "unreadable");
    if (got !== want[i] || d.sha256 !== `sha256:${want[i]}` || d.targetSha256 !== d.sha256) lost++;
  }
  const poolFiles = await readdir(lv.poolPath);
  const volumes = poolFiles.filter((f) => f.includes(`${vm}-disk`));
  assert.deepEqual(volumes.sort(), disks.map((d) => `${d.diskID}.qcow2`).sort(), "exactly one volume per disk, no partial files");
  const staging = await readdir(join(lv.poolPath, ".landfall-staging")).catch(() => [] as string[]);
  assert.ok(!staging.includes(m.metadata.uid as string), "no staging directory left");
  const domains = (await virsh(["list", "--all", "--name"])).split("\n").filter((n) => n.trim() === `${ns}--${vm}`);
  assert.equal(domains.length, 1, "exactly one domain");
  assert.deepEqual(await snapshotNames(vc, m.status?.source?.vmID as string), [], "no snapshot left on the source");
  assert.equal(await sourcePower(s, vm), expectedPower, "the source's power state as the user asked");
  return lost;
}

for (const row of CRASH_ROWS) {
  test(row.fault, async () => {
    const entry = { fault: row.fault, runs: 1, recovered: "no", dataLost: -1 };
    table.push(entry);
    const faulty = await startFaultyServer(dataDir, { at: row.at, vm: row.vm }, env);
    try {
      await applyYaml(faulty, migrationYaml(row.vm, row));
      const how = await crashOrFinish(faulty, row.vm);
      assert.equal(how, "SIGKILL", `the test composition killed the server at ${row.at}`);
      assert.match(faulty.output(), new RegExp(`SIGKILL at ${row.at}`));
      if (row.before) assert.doesNotMatch(faulty.output(), new RegExp(`${row.vm}: ${row.before}\\b`), `the crash came before ${row.before}`);
    } finally {
      await faulty.stop();
    }
    srv = await startServeProcess({ dataDir, env });
    try {
      const m = await finished(srv, row.vm);
      entry.recovered = m.status?.phase === "Succeeded" ? "yes" : `no (${m.status?.message})`;
      const expectedPower = row.mode === "snapshot" || row.restoreSourcePower ? "poweredOn" : "poweredOff";
      entry.dataLost = await checkConverged(srv, row.vm, row.disks, expectedPower);
      assert.equal(entry.dataLost, 0, "no disk lost data");
    } finally {
      await srv.stop();
      srv = undefined;
    }
  });
}

test("source connection reset mid-disk: the migration recovers", async () => {
  const entry = { fault: "source connection reset mid-disk", runs: 1, recovered: "no", dataLost: -1 };
  table.push(entry);
  srv = await startFaultyServer(dataDir, { at: "resetMidDisk", vm: RESET_VM }, env);
  try {
    await applyYaml(srv, migrationYaml(RESET_VM, { bandwidthMiBps: 4 }));
    const m = await finished(srv, RESET_VM);
    entry.recovered = m.status?.phase === "Succeeded" ? "yes" : `no (${m.status?.message})`;
    assert.match(srv.output(), /ECONNRESET injected at offset \d+/, "the reset happened");
    entry.dataLost = await checkConverged(srv, RESET_VM, [8 * MiB], "poweredOff");
    assert.equal(entry.dataLost, 0);
  } finally {
    await srv.stop();
    srv = undefined;
  }
});

test("a source that stalls mid-disk: the silent read is abandoned after the stall timeout and read again", async () => {
  const entry = { fault: "source stalls mid-disk (stall timeout 2 s)", runs: 1, recovered: "no", dataLost: -1 };
  table.push(entry);
  srv = await startFaultyServer(dataDir, { at: "stallMidDisk", vm: STALL_VM, stallTimeoutMs: 2000 }, env);
  try {
    await applyYaml(srv, migrationYaml(STALL_VM));
    // Bounded: a silent source costs one stall timeout and a re-read of that chunk, never a hang at 99 %.
    const m = await finished(srv, STALL_VM, 60_000);
    entry.recovered = m.status?.phase === "Succeeded" ? "yes" : `no (${m.status?.message})`;
    assert.match(srv.output(), /stall injected at offset \d+/, "the stall happened");
    entry.dataLost = await checkConverged(srv, STALL_VM, [12 * MiB], "poweredOff");
    assert.equal(entry.dataLost, 0);
  } finally {
    await srv.stop();
    srv = undefined;
  }
});

test("a source that keeps returning a short read: Failed naming the offset, partial volumes removed, source restored", async () => {
  const entry = { fault: "source returns a short read, every time", runs: 1, recovered: "no", dataLost: -1 };
  table.push(entry);
  srv = await startFaultyServer(dataDir, { at: "shortReadMidDisk", vm: SHORT_VM }, env);
  try {
    await applyYaml(srv, migrationYaml(SHORT_VM, { restoreSourcePower: true }));
    const m = await finished(srv, SHORT_VM, 180_000);
    assert.equal(m.status?.phase, "Failed", "a source that never returns the bytes asked for fails the migration");
    // The 4 MiB chunk at 4 MiB reaches past the middle (6 MiB) of the 12 MiB disk: it is cut there.
    assert.match(m.status?.message ?? "", /offset 4194304 ended after 2097152 of 4194304 bytes \(truncated read\)/, m.status?.message);
    const left = (await readdir(lv.poolPath)).filter((f) => f.includes(`${SHORT_VM}-disk`));
    assert.deepEqual(left, [], "no partial volume");
    assert.equal(await sourcePower(srv, SHORT_VM), "poweredOn", "the source is powered on again");
    entry.recovered = "failed cleanly, naming the offset (expected)";
    entry.dataLost = 0;
  } finally {
    await srv.stop();
    srv = undefined;
  }
});

test("target storage full after Validating: Failed naming the pool and the bytes needed, partial files removed, source restored", async () => {
  const entry = { fault: "target filesystem full after Validating (tmpfs size=40m)", runs: 1, recovered: "no", dataLost: -1 };
  table.push(entry);
  // A short stall timeout, as in the stall row: this row once hung in Transferring past its 120 s wait with several
  // suites loading the machine (cause not found, see the tenth closing note); a silent source read is then retried
  // in seconds, and the server's log says so.
  srv = await startFaultyServer(dataDir, { at: "fillPool", vm: FULL_VM, poolPath: smallPool, leaveBytes: 4 * MiB, stallTimeoutMs: 5000 }, env);
  try {
    await applyYaml(srv, migrationYaml(FULL_VM, { target: "kvm-small", restoreSourcePower: true }));
    const m = await finished(srv, FULL_VM);
    assert.equal(m.status?.phase, "Failed");
    assert.equal(m.status?.conditions?.find((c) => c.type === "Ready")?.reason, "InsufficientSpace", m.status?.message);
    assert.match(m.status?.message ?? "", new RegExp(`storage pool "${lv.prefix}-small"`));
    assert.match(m.status?.message ?? "", new RegExp(`needs ${16 * MiB} bytes`));
    assert.ok(!m.status?.message?.includes("attempts"), "failed at once, not after retries");
    const left = (await readdir(smallPool as string)).filter((f) => f !== "filler.bin" && f !== ".landfall-staging");
    assert.deepEqual(left, [], "no partial volume");
    const staging = await readdir(join(smallPool as string, ".landfall-staging")).catch(() => [] as string[]);
    assert.deepEqual(staging, [], "no staging file");
    assert.equal(await sourcePower(srv, FULL_VM), "poweredOn", "the source is powered on again");
    entry.recovered = "failed cleanly (expected)";
    entry.dataLost = 0;
  } finally {
    await rm(join(smallPool as string, "filler.bin"), { force: true });
    await srv.stop();
    srv = undefined;
  }
});

test("editing the Provider and its Secret mid-transfer neither cuts the transfer nor costs a retry", async () => {
  const entry = { fault: "Provider + Secret edited mid-transfer", runs: 1, recovered: "no", dataLost: -1 };
  table.push(entry);
  srv = await startServeProcess({ dataDir, env });
  const s = srv;
  try {
    // 24 chunks of 4 MiB, 4 in flight, ~12 s: most start after the edit, so a client closed by it would fail them.
    await applyYaml(s, migrationYaml(EDIT_VM, { bandwidthMiBps: 8 }));
    await waitFor("the transfer to be under way", 60_000, async () => {
      const m = await migration(s, EDIT_VM);
      if (m.status?.phase === "Failed" || m.status?.phase === "Succeeded") throw new Error(`ended ${m.status.phase} before the edit: ${m.status.message}`);
      return m.status?.disks?.[0]?.state === "Transferring" ? m : undefined;
    }, 100);
    const secretPath = resourcePath(ns, "secrets", "vcenter-creds");
    const secret = (await api<Secret>(s, secretPath)).body;
    const putSecret = await api(s, secretPath, { method: "PUT", body: JSON.stringify({ ...secret, metadata: { ...secret.metadata, labels: { rotated: "yes" } }, data: undefined, stringData: { username: vc.username, password: vc.password, note: "rotated" } }) });
    assert.equal(putSecret.status, 200, JSON.stringify(putSecret.body));
    const providerPath = resourcePath(ns, "providers", "vcenter");
    const provider = (await api<Provider>(s, providerPath)).body;
    const putProvider = await api<Provider>(s, providerPath, { method: "PUT", body: JSON.stringify({ ...provider, metadata: { ...provider.metadata, labels: { edited: "yes" } }, spec: { ...provider.spec, datacenter: "DC0" } }) });
    assert.equal(putProvider.status, 200, JSON.stringify(putProvider.body));
    const generation = putProvider.body.metadata.generation;
    // The Provider controller has built the new client (and let go of the old one) once it observed the edit.
    await waitFor("the Provider controller to observe the edit", 60_000, async () => ((await api<Provider>(s, providerPath)).body.status?.observedGeneration === generation ? true : undefined), 100);
    const during = (await migration(s, EDIT_VM)).status?.disks?.[0];
    assert.ok(during && during.state === "Transferring" && during.bytesDone <= during.sizeBytes / 2, `the edit took effect while at most half the disk was copied (${during?.state}, ${during?.bytesDone} bytes); otherwise this row proves nothing`);
    const m = await finished(s, EDIT_VM);
    entry.recovered = m.status?.phase === "Succeeded" ? "yes" : `no (${m.status?.message})`;
    assert.equal(m.status?.phase, "Succeeded", m.status?.message);
    assert.doesNotMatch(s.output(), /attempt \d+ failed/, "no attempt failed, so no retry was counted");
    assert.doesNotMatch(s.output(), /resuming f-edit/, "the transfer was never restarted");
    entry.dataLost = await checkConverged(s, EDIT_VM, [96 * MiB], "poweredOff");
    assert.equal(entry.dataLost, 0);
  } finally {
    await s.stop();
    srv = undefined;
  }
});

test("a second server on the same data dir is refused (the data-dir lock)", async () => {
  const entry = { fault: "second server on the same data dir", runs: 1, recovered: "no", dataLost: -1 };
  table.push(entry);
  srv = await startServeProcess({ dataDir, env });
  try {
    const second = await startServeProcess({ dataDir, env, timeoutMs: 15_000 }).then(
      async (s) => {
        await s.stop();
        return undefined;
      },
      (err: Error) => err,
    );
    assert.ok(second, "the second server must not start");
    assert.match(second.message, /exited with code [1-9]/);
    assert.ok(second.message.includes(dataDir) || /lock/i.test(second.message), `the refusal says why: ${second.message}`);
    assert.equal((await fetch(`${srv.url}/healthz`)).status, 200, "the first server keeps serving");
    entry.recovered = "refused (expected)";
    entry.dataLost = 0;
  } finally {
    await srv.stop();
    srv = undefined;
  }
});

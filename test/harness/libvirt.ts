// Helpers for e2e tests against real libvirtd: a throwaway pool and name prefix per test file, cleanup that
// removes every domain and pool carrying that prefix, and hashes of files and of guest-visible disk bytes.
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);
export const TEST_URI = "qemu:///system";
export const TEST_POOL_ROOT = "/var/lib/landfall-test";

export async function virsh(args: string[], uri = TEST_URI): Promise<string> {
  try {
    const { stdout } = await exec("virsh", ["-c", uri, ...args], { timeout: 60_000, env: { ...process.env, LC_ALL: "C" } });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`virsh ${args.join(" ")}: ${e.stderr?.trim() || e.message}`);
  }
}

export interface TempLibvirt {
  /** Every domain and pool the test creates starts with this. */
  prefix: string;
  pool: string;
  poolPath: string;
  consoleLogDir: string;
  /** Scratch space for source images (outside the pool). */
  scratchDir: string;
  cleanup(): Promise<void>;
}

/** A unique prefix, pool name and directory under /var/lib/landfall-test/<random>/. */
export async function createTempLibvirt(label: string): Promise<TempLibvirt> {
  const id = randomBytes(4).toString("hex");
  const prefix = `lft-${label}-${id}`;
  const root = join(TEST_POOL_ROOT, id);
  await mkdir(root, { recursive: true });
  const scratchDir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  return {
    prefix,
    pool: `${prefix}-pool`,
    poolPath: join(root, "pool"),
    consoleLogDir: join(root, "console"),
    scratchDir,
    cleanup: async () => {
      await removeByPrefix(prefix);
      await rm(root, { recursive: true, force: true });
      await rm(scratchDir, { recursive: true, force: true });
    },
  };
}

/** Destroys and undefines every domain, and every storage pool, whose name starts with prefix. */
export async function removeByPrefix(prefix: string): Promise<void> {
  const domains = (await virsh(["list", "--all", "--name"])).split("\n").map((s) => s.trim());
  for (const name of domains.filter((n) => n.startsWith(prefix))) {
    await virsh(["destroy", name]).catch(() => undefined);
    await virsh(["undefine", name, "--nvram", "--managed-save", "--snapshots-metadata"]).catch(() =>
      virsh(["undefine", name]),
    );
  }
  const pools = (await virsh(["pool-list", "--all", "--name"])).split("\n").map((s) => s.trim());
  for (const name of pools.filter((n) => n.startsWith(prefix))) {
    await virsh(["pool-destroy", name]).catch(() => undefined);
    await virsh(["pool-undefine", name]);
  }
}

export async function domainUUID(name: string): Promise<string> {
  return (await virsh(["domuuid", name])).trim();
}

/** sha256 of a file's bytes, hashed in-process (OpenSSL with SHA-NI; sha256sum is ~10× slower here). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** sha256 of the guest-visible bytes: raw images hash as they are, others are decoded by qemu-img first. */
export async function guestBytesSha256(path: string, format: string): Promise<string> {
  if (format === "raw") return sha256File(path);
  const dir = await mkdtemp(join(tmpdir(), "landfall-guest-bytes-"));
  try {
    const raw = join(dir, "disk.raw");
    await exec("qemu-img", ["convert", "-U", "-f", format, "-O", "raw", path, raw], { timeout: 300_000 });
    return await sha256File(raw);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// The real test guests (build.sh): a VMware-style Debian 12 on a BIOS disk and on a UEFI disk, built once per
// version of build.sh and shared by every test that needs them; and how to read what such a guest printed.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

export interface RealGuests {
  dir: string;
  /** Raw images. */
  bios: string;
  uefi: string;
  sizeBytes: number;
  hostname: string;
  kernel: string;
  buildSeconds: number;
}

/** What a guest prints on its serial console once it reached multi-user (systemd's serial getty). */
export const LOGIN_PROMPT = "landfall-guest login:";
/** initramfs-tools' lines when the root device never appeared (no driver for the disk's bus). */
export const ROOT_NOT_FOUND = /ALERT! .* does not exist|Gave up waiting for root/;

/** Builds the guests when build.sh changed (a no-op otherwise: `make setup` normally did it). */
export async function realGuests(): Promise<RealGuests> {
  const dir = await new Promise<string>((ok, fail) => {
    execFile(join(here, "build.sh"), [], { timeout: 20 * 60_000, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`test/harness/guests/build.sh failed: ${error.message}\n${stderr.slice(-4000)}`));
      else ok(stdout.trim().split("\n").pop() ?? "");
    });
  });
  const info = JSON.parse(await readFile(join(dir, "build.json"), "utf8")) as {
    sizeBytes: number;
    hostname: string;
    kernel: string;
    buildSeconds: number;
  };
  return { dir, sizeBytes: info.sizeBytes, hostname: info.hostname, kernel: info.kernel, buildSeconds: info.buildSeconds, bios: join(dir, "debian-bios.raw"), uefi: join(dir, "debian-uefi.raw") };
}

/**
 * Waits until the console log shows one of the outcomes and returns its name and the log; rejects after
 * timeoutMs with the log's end. Matching on both outcomes lets a failing boot end the wait as soon as it fails.
 */
export async function waitForOutcome(
  logPath: string,
  outcomes: Record<string, string | RegExp>,
  timeoutMs: number,
): Promise<{ outcome: string; log: string }> {
  const deadline = Date.now() + timeoutMs;
  let log = "";
  while (Date.now() < deadline) {
    log = await readFile(logPath, "latin1").catch(() => "");
    for (const [name, pattern] of Object.entries(outcomes)) {
      if (typeof pattern === "string" ? log.includes(pattern) : pattern.test(log)) return { outcome: name, log };
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`none of ${Object.keys(outcomes).join(", ")} on ${logPath} after ${timeoutMs} ms; log ends: ${JSON.stringify(log.slice(-1500))}`);
}

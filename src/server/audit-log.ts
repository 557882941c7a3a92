// The audit log: one JSON line per mutating call in <data-dir>/audit.log (0600), rotated by size. Entries
// hold who (token ID, name, role), what (verb, resource, namespace/name) and the result code — never request
// bodies, tokens or Secret values: an entry is built only from those fields.
import { appendFile, chmod, readFile, rename, stat } from "node:fs/promises";
import type { AuditEntry } from "../api/audit.ts";

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  /** Entries at or after `since` (ms since the epoch), oldest first, across rotated files. */
  read(since: number): Promise<AuditEntry[]>;
}

export const AUDIT_MAX_BYTES = 10 * 1024 * 1024;
export const AUDIT_KEEP = 3;

/** Renames that rotate `path` keeping `keep` old files: path.(keep-1)→path.keep, …, path→path.1. */
export function rotationRenames(path: string, keep: number): Array<[string, string]> {
  const renames: Array<[string, string]> = [];
  for (let i = keep - 1; i >= 1; i--) renames.push([`${path}.${i}`, `${path}.${i + 1}`]);
  renames.push([path, `${path}.1`]);
  return renames;
}

/** Parses log text; lines that are not entries (a torn last line after a crash) are skipped. */
export function parseAuditLines(text: string, since: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as AuditEntry;
      if (typeof e.time === "string" && Date.parse(e.time) >= since) out.push(e);
    } catch {
      // torn line: skip
    }
  }
  return out;
}

export function openAuditLog(path: string, opts: { maxBytes?: number; keep?: number } = {}): AuditLog {
  const maxBytes = opts.maxBytes ?? AUDIT_MAX_BYTES;
  const keep = opts.keep ?? AUDIT_KEEP;
  // Appends and rotations one at a time, so a rotation never splits a line or loses one.
  let chain: Promise<void> = Promise.resolve();
  const append = async (line: string) => {
    const size = (await stat(path).catch(() => undefined))?.size ?? 0;
    if (size > 0 && size + Buffer.byteLength(line) > maxBytes) {
      for (const [from, to] of rotationRenames(path, keep)) await rename(from, to).catch(() => undefined);
    }
    await appendFile(path, line, { mode: 0o600 });
    if (size === 0) await chmod(path, 0o600);
  };
  return {
    record(entry) {
      const next = chain.then(() => append(`${JSON.stringify(entry)}\n`));
      chain = next.catch(() => undefined);
      return next;
    },
    async read(since) {
      await chain;
      const files = [...Array.from({ length: keep }, (_, i) => `${path}.${keep - i}`), path];
      const entries: AuditEntry[] = [];
      for (const f of files) entries.push(...parseAuditLines(await readFile(f, "utf8").catch(() => ""), since));
      return entries;
    },
  };
}

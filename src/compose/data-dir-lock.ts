// One writer per data directory. Two `landfall serve` processes on one data dir would both run every
// controller against one store and each miss the other's watch events, so the second one refuses to start.
//
// The lock is an exclusive SQLite lock on <data-dir>/serve.lock: a POSIX record lock that the kernel drops
// when the holder exits, however it exits (SIGKILL included) — unlike a PID file, which a crash leaves
// behind and a zombie keeps "alive". <data-dir>/serve.holder only says who holds the lock (URL, PID), for
// the refusal message; it is never trusted as the lock itself.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";

export interface DataDirLock {
  /** Records where this holder serves, so a second server can name it. */
  announce(url: string): void;
  /** Drops the lock (also dropped by the kernel when the process dies). */
  release(): void;
}

interface Holder {
  url?: string;
  pid: number;
  since: string;
}

export class DataDirInUseError extends Error {
  constructor(dataDir: string, holder: Holder | undefined) {
    const who = holder
      ? `${holder.url ? `at ${holder.url}` : "(still starting, no address yet)"} (pid ${holder.pid}, since ${holder.since})`
      : "(its address is not recorded yet)";
    super(`data directory ${dataDir} is in use by another landfall serve ${who}; stop that one, or give this one another --data-dir`);
    this.name = "DataDirInUseError";
  }
}

/** Takes the data directory's lock or throws DataDirInUseError naming the holder. */
export function lockDataDir(dataDir: string): DataDirLock {
  const db = new DatabaseSync(join(dataDir, "serve.lock"), { timeout: 0 });
  try {
    // An open exclusive transaction holds the file's exclusive lock until it ends or the process does.
    db.exec("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;");
  } catch (error) {
    db.close();
    if (/database is locked|SQLITE_BUSY/i.test((error as Error).message)) throw new DataDirInUseError(dataDir, readHolder(dataDir));
    throw error;
  }
  const since = new Date().toISOString();
  const holderPath = join(dataDir, "serve.holder");
  const writeHolder = (holder: Holder) => {
    writeFileSync(`${holderPath}.tmp`, `${JSON.stringify(holder)}\n`, { mode: 0o600 });
    renameSync(`${holderPath}.tmp`, holderPath);
  };
  writeHolder({ pid: process.pid, since });
  let held = true;
  return {
    announce: (url) => writeHolder({ url, pid: process.pid, since }),
    release: () => {
      if (!held) return;
      held = false;
      db.close();
    },
  };
}

function readHolder(dataDir: string): Holder | undefined {
  try {
    const holder = JSON.parse(readFileSync(join(dataDir, "serve.holder"), "utf8")) as Partial<Holder>;
    return typeof holder.pid === "number" && typeof holder.since === "string" ? { url: typeof holder.url === "string" ? holder.url : undefined, pid: holder.pid, since: holder.since } : undefined;
  } catch {
    return undefined;
  }
}

// Path confinement, the one implementation for the whole product: every disk path landfall reads, defines,
// clones, grows, writes or deletes must resolve inside the storage roots it was given (the pool directories plus a
// Provider's allowedStoragePaths, or the pools alone for what landfall deletes). The judgement is pure and works
// on resolved paths; resolveExisting is the one function that resolves them (symlinks followed, dangling ones
// too: whatever is written through a dangling link lands where it points).
import { constants } from "node:fs";
import { mkdir, open, readlink, realpath, rm } from "node:fs/promises";
import path from "node:path";

/** The directories a Provider's disks may live in; `roots[0]` is the pool's own directory. */
export interface StorageRoots {
  pool: string;
  roots: string[];
}

/**
 * The one rule for a Provider's roots: its default pool's directory, the directories of its spec.storagePools, then
 * spec.allowedStoragePaths.
 */
export function providerStorageRoots(
  storage: { pool: string; path: string },
  spec: { allowedStoragePaths?: string[]; storagePools?: Array<{ name: string; path: string }> },
): StorageRoots {
  return { pool: storage.pool, roots: [storage.path, ...(spec.storagePools ?? []).map((p) => p.path), ...(spec.allowedStoragePaths ?? [])] };
}

/** True when `candidate` (absolute, normalised) lies strictly below `root`: a disk is a file, never the root. */
export function liesWithin(candidate: string, root: string): boolean {
  const rel = path.relative(root, candidate);
  // "..backup.raw" is a file inside root; only a ".." path segment leaves it.
  const leaves = rel === ".." || rel.startsWith(`..${path.sep}`);
  return rel !== "" && !leaves && !path.isAbsolute(rel);
}

export interface Confinement {
  ok: boolean;
  resolved: string;
  message?: string;
}

/** Pure: judge a resolved path against resolved roots. */
export function judgePath(field: string, written: string, resolved: string, roots: string[], poolName: string): Confinement {
  if (!path.isAbsolute(written)) {
    return { ok: false, resolved, message: `${field} "${written}" must be an absolute path inside storage pool "${poolName}" (${roots[0] ?? "no storagePoolPath set"})` };
  }
  if (roots.some((r) => liesWithin(resolved, r))) return { ok: true, resolved };
  const via = resolved !== path.normalize(written) ? ` (it resolves to "${resolved}")` : "";
  return {
    ok: false,
    resolved,
    message: `${field} "${written}"${via} is outside storage pool "${poolName}" (${roots.join(", ") || "no storagePoolPath set"}); move the disk there or ask an administrator to add its directory to the Provider's spec.allowedStoragePaths`,
  };
}

/** Symlinks followed at most, as the kernel does (ELOOP beyond 40). */
const MAX_SYMLINKS = 40;

/**
 * realpath of the longest existing prefix, with the rest appended: resolves symlinks even for files not yet
 * created. A dangling symlink is followed too: whatever is written through it lands where it points.
 */
export async function resolveExisting(p: string, followed = 0): Promise<string> {
  const abs = path.resolve(p);
  const parts: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      const real = await realpath(cur);
      return path.join(real, ...parts.reverse());
    } catch {
      const link = await readlink(cur).catch(() => undefined);
      if (link !== undefined && followed < MAX_SYMLINKS) {
        return resolveExisting(path.join(path.resolve(path.dirname(cur), link), ...parts.reverse()), followed + 1);
      }
      const parent = path.dirname(cur);
      if (parent === cur) return abs;
      parts.push(path.basename(cur));
      cur = parent;
    }
  }
}

/** Resolves `written` and the roots, then judges; `field` names what the user wrote, for the message. */
export async function resolveConfined(field: string, written: string, storage: StorageRoots): Promise<Confinement> {
  const resolvedRoots = await Promise.all(storage.roots.map((r) => resolveExisting(r)));
  const resolved = path.isAbsolute(written) ? await resolveExisting(written) : written;
  return judgePath(field, written, resolved, resolvedRoots, storage.pool);
}

const DISK_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

/** Disk IDs become file names in the pool: no separators, no leading dot. */
export function isSafeDiskID(diskID: string): boolean {
  return DISK_ID_RE.test(diskID) && !diskID.includes("..");
}

/**
 * Creates an empty file where a tool will write, never following a symlink: a stale file of an interrupted run is
 * removed first (unlinking a planted link removes the link, not its target), then O_EXCL|O_NOFOLLOW creates it, so
 * qemu-img later opens a regular file landfall made rather than whatever a link pointed to.
 */
export async function createNoFollow(path: string): Promise<void> {
  await rm(path, { force: true });
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  await handle.close();
}

/**
 * Creates `dir` (and its parents) below `root`, refusing when any component already is — or, raced, becomes — a
 * symlink leading out of `root`: `mkdir -p` alone would follow it and create the directory wherever it points.
 */
export async function ensureConfinedDir(dir: string, root: string): Promise<string> {
  const realRoot = await resolveExisting(root);
  const check = async () => {
    const real = await resolveExisting(dir);
    if (!liesWithin(real, realRoot)) {
      throw new Error(`directory "${dir}" resolves to "${real}", outside "${root}": a symlink leads out of the storage pool; remove it`);
    }
    return real;
  };
  await check();
  await mkdir(dir, { recursive: true });
  return check();
}

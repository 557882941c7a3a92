// Path confinement: landfall only writes or deletes files inside its storage pool directory. The pure check
// works on resolved absolute paths; resolveReal follows symlinks so a link inside the pool cannot point out.
import { realpath } from "node:fs/promises";
import { basename, dirname, isAbsolute, relative, resolve } from "node:path";

/** True when `candidate` lies strictly below `dir` (both absolute; no symlink resolution). */
export function liesInside(dir: string, candidate: string): boolean {
  const rel = relative(resolve(dir), resolve(candidate));
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

/** realpath of the file's directory joined with its name; the file itself need not exist. */
export async function resolveReal(path: string): Promise<string> {
  const absolute = resolve(path);
  try {
    return await realpath(absolute);
  } catch {
    return resolve(await realpath(dirname(absolute)).catch(() => dirname(absolute)), basename(absolute));
  }
}

const DISK_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

/** Disk IDs become file names in the pool: no separators, no leading dot. */
export function isSafeDiskID(diskID: string): boolean {
  return DISK_ID_RE.test(diskID) && !diskID.includes("..");
}

// Filesystem lookups the phase executors use to find what an earlier attempt left.
import { stat } from "node:fs/promises";

export async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** What identifies a file's content without reading it: same device and inode, and not written since (size, mtime). */
export interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

export async function fileIdentity(p: string): Promise<FileIdentity | undefined> {
  return stat(p).then(
    (s) => ({ dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs }),
    () => undefined,
  );
}

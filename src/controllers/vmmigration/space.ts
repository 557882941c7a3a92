// A full target filesystem is permanent for this attempt: the migration fails at once naming the pool, its path
// and the bytes the migration needs, instead of retrying into the same wall.
import type { MigrationDisk } from "../../api/vmmigration.ts";
import type { TargetStorage } from "../../providers/contract.ts";
import { outOfSpace } from "./decide.ts";
import { gib } from "./step-context.ts";
import { MigrationFailure } from "./steps.ts";

/** err as it is, or — when it is ENOSPC — the InsufficientSpace failure that says what ran out. */
export function outOfSpaceFailure(err: unknown, storage: TargetStorage, disk: MigrationDisk, needsBytes = disk.sizeBytes): unknown {
  if (!outOfSpace(err)) return err;
  return new MigrationFailure(
    "InsufficientSpace",
    `storage pool "${storage.pool}" (${storage.path}) ran out of space writing disk ${disk.label ?? disk.diskID}: it needs ${needsBytes} bytes (${gib(needsBytes)}) for this disk; free space in ${storage.path} or use another pool, then create the migration again (${(err as Error).message})`,
  );
}

/**
 * Space the plan lacks, as one message per short pool: staging (the default pool) holds every disk while it is
 * copied; a disk placed in another pool needs its size there too.
 */
export function spaceShortfalls(disks: MigrationDisk[], staging: TargetStorage, pools: TargetStorage[]): string[] {
  const need = new Map<string, number>([[staging.pool, disks.reduce((a, d) => a + d.sizeBytes, 0)]]);
  for (const d of disks) if (d.pool && d.pool !== staging.pool) need.set(d.pool, (need.get(d.pool) ?? 0) + d.sizeBytes);
  return [...need].flatMap(([name, needed]) => {
    const storage = name === staging.pool ? staging : pools.find((p) => p.pool === name);
    if (!storage || storage.availableBytes >= needed) return [];
    const why = name === staging.pool ? "the VM's disks need up to" : "its disks need";
    return [`storage pool "${name}" (${storage.path}) has ${gib(storage.availableBytes)} free; ${why} ${gib(needed)} (${needed} bytes)`];
  });
}

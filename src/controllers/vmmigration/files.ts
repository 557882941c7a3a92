// Filesystem lookups the phase executors use to find what an earlier attempt left.
import { stat } from "node:fs/promises";

export async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

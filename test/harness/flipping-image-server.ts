// TEST-ONLY fault: an image server that serves a published file with its first byte flipped, while the
// DataVolume still carries the file's true sha256 — damage between landfall and the cluster's importer, which
// CDI's checksum check (here: the simulated importer's) must catch.
import { readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { ImageServer } from "../../src/providers/kubevirt/image-server.ts";

/** Wraps `images`: files for which `damage(path)` holds are published as a flipped copy beside them. */
export function flippingImageServer(images: ImageServer, damage: (path: string) => boolean = () => true): ImageServer {
  return {
    ...images,
    publish(path, sha256Hex) {
      if (!damage(path)) return images.publish(path, sha256Hex);
      const flipped = join(dirname(path), `.flipped-${basename(path)}`);
      const bytes = readFileSync(path);
      bytes[0] ^= 0xff;
      writeFileSync(flipped, bytes);
      return images.publish(flipped, sha256Hex);
    },
  };
}

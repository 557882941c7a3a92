// VMImage reconcile: a base image is Ready when its file exists inside its provider's storage and qemu-img can
// read it; status records its sizes and the sha256 of its guest-visible bytes (taken once per file change), so
// anyone can check that VMs built on it (as copy-on-write overlays) never modified it.
import { providerKey } from "../provider/ref.ts";
import { stat } from "node:fs/promises";
import { ApiError } from "../../api/errors.ts";
import type { Provider } from "../../api/provider.ts";
import type { VMImage, VMImageStatus } from "../../api/vmimage.ts";
import { setCondition } from "../../runtime/conditions.ts";
import { patchStatus } from "../../runtime/status.ts";
import type { ResourceStore } from "../../store/types.ts";
import { confineImageChain } from "../../disk/backing-chain.ts";
import { providerStorageRoots } from "../../disk/confinement.ts";

export interface VMImageDeps {
  store: ResourceStore;
  storageOf: (p: Provider) => { pool: string; path: string };
  /** qemu-img info of an image of a known format (never probed: probing a VMDK opens its extents). */
  imageInfo: (path: string, format: string) => Promise<{ format: string; virtualSizeBytes: number; actualSizeBytes: number }>;
  imageSha256: (path: string, format: string) => Promise<string>;
}

export function vmImageReconciler(deps: VMImageDeps) {
  return async function reconcile(key: { namespace: string; name: string }): Promise<{ requeueAfterMs?: number } | undefined> {
    let image: VMImage;
    try {
      image = await deps.store.get<VMImage>("VMImage", key.namespace, key.name);
    } catch (err) {
      if (err instanceof ApiError && err.reason === "NotFound") return undefined;
      throw err;
    }
    const verdict = await judge(deps, image);
    await patchStatus<VMImage, VMImageStatus>(deps.store, "VMImage", key.namespace, key.name, (s) => {
      s.phase = verdict.ready ? "Ready" : "NotReady";
      s.observedGeneration = image.metadata.generation;
      s.message = verdict.ready ? undefined : verdict.message;
      if (verdict.facts) Object.assign(s, verdict.facts);
      s.conditions = setCondition(s.conditions, { type: "Ready", status: verdict.ready ? "True" : "False", reason: verdict.reason, message: verdict.message });
    });
    return { requeueAfterMs: verdict.ready ? 300_000 : 15_000 };
  };
}

interface Verdict {
  ready: boolean;
  reason: string;
  message: string;
  facts?: Pick<VMImageStatus, "sizeBytes" | "virtualSizeBytes" | "checksum">;
}

async function judge(deps: VMImageDeps, image: VMImage): Promise<Verdict> {
  const ns = image.metadata.namespace ?? "default";
  const ref = providerKey(image.spec.providerRef, ns);
  const provider = await deps.store.get<Provider>("Provider", ref.namespace, ref.name).catch(() => undefined);
  if (!provider) return { ready: false, reason: "ProviderNotFound", message: `spec.providerRef: Provider "${ref.name}" not found in namespace "${ref.namespace}"` };
  const { pool, path } = deps.storageOf(provider);
  const format = image.spec.format ?? "qcow2";
  // The whole backing chain is judged before qemu-img or the hash reads the image (backing-chain.ts).
  let conf: Awaited<ReturnType<typeof confineImageChain>>;
  try {
    conf = await confineImageChain("spec.path", image.spec.path, format, providerStorageRoots({ pool, path }, provider.spec));
  } catch (err) {
    return { ready: false, reason: "UnreadableImage", message: `qemu-img cannot read ${image.spec.path}: ${(err as Error).message}` };
  }
  if (!conf.ok) return { ready: false, reason: "OutsideStorage", message: conf.message as string };
  const st = await stat(conf.resolved).catch(() => undefined);
  if (!st?.isFile()) return { ready: false, reason: "ImageNotFound", message: `no image file at ${conf.resolved}; copy the base image there` };
  if (conf.sniffedFormat !== format) {
    return { ready: false, reason: "FormatMismatch", message: `spec.format is ${format} but ${conf.resolved} is ${conf.sniffedFormat}; set spec.format: ${conf.sniffedFormat}` };
  }
  let info: Awaited<ReturnType<VMImageDeps["imageInfo"]>>;
  try {
    info = await deps.imageInfo(conf.resolved, format);
  } catch (err) {
    return { ready: false, reason: "UnreadableImage", message: `qemu-img cannot read ${conf.resolved}: ${(err as Error).message}` };
  }
  // Hash once per file version (size + mtime), not on every resync.
  const stamp = `${st.size}/${st.mtimeMs}`;
  const known = image.status?.checksum && image.metadata.annotations?.["landfall.dev/checksum-of"] === stamp ? image.status.checksum : undefined;
  const checksum = known ?? (await deps.imageSha256(conf.resolved, format));
  if (!known) {
    await deps.store
      .update({ ...image, metadata: { ...image.metadata, annotations: { ...(image.metadata.annotations ?? {}), "landfall.dev/checksum-of": stamp } } })
      .catch(() => undefined);
  }
  return {
    ready: true,
    reason: "Available",
    message: `${format} image, ${(info.virtualSizeBytes / 2 ** 30).toFixed(2)} GiB virtual`,
    facts: { sizeBytes: info.actualSizeBytes, virtualSizeBytes: info.virtualSizeBytes, checksum },
  };
}

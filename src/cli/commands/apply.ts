// `apply -f FILE|-`: create or update each object by name; a 409 re-reads and retries once.
import { isApiError } from "../../api/errors.ts";
import type { KubeObject } from "../../api/meta.ts";
import { deepEqual } from "../../server/patch.ts";
import { resolveKind } from "../args.ts";
import type { LandfallClient } from "../client.ts";
import { readManifests } from "../manifests.ts";

export type ApplyResult = "created" | "configured" | "unchanged";

/** The fields of an object that apply owns: everything but status and server-set metadata. */
function appliedView(obj: KubeObject): Record<string, unknown> {
  const { apiVersion: _v, status: _s, metadata, stringData, ...body } = obj;
  const data = { ...((body.data as Record<string, string> | undefined) ?? {}) };
  // The server folds Secret stringData into base64 data; compare in that form.
  if (obj.kind === "Secret" && stringData && typeof stringData === "object") {
    for (const [k, v] of Object.entries(stringData as Record<string, string>)) data[k] = Buffer.from(String(v), "utf8").toString("base64");
  }
  return {
    ...body,
    ...(obj.kind === "Secret" && (body.data !== undefined || stringData !== undefined) ? { data } : {}),
    labels: metadata.labels ?? {},
    annotations: metadata.annotations ?? {},
  };
}

/** The manifest over what is stored: the server's own metadata (finalizers, owners) stays unless the manifest sets it. */
export function mergeForUpdate(desired: KubeObject, current: KubeObject): KubeObject {
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      finalizers: desired.metadata.finalizers ?? current.metadata.finalizers,
      ownerReferences: desired.metadata.ownerReferences ?? current.metadata.ownerReferences,
      resourceVersion: current.metadata.resourceVersion,
    },
  };
}

export const isUnchanged = (desired: KubeObject, current: KubeObject): boolean => deepEqual(JSON.parse(JSON.stringify(appliedView(desired))), appliedView(current));

export async function applyObject(client: LandfallClient, input: KubeObject, namespace: string | undefined): Promise<ApplyResult> {
  const info = resolveKind(input.kind);
  const ns = input.metadata.namespace ?? namespace ?? "default";
  const desired: KubeObject = { ...input, metadata: { ...input.metadata, namespace: ns } };
  const label = `${info.singular}/${desired.metadata.name}`;
  for (let attempt = 1; ; attempt++) {
    try {
      let current: KubeObject | undefined;
      try {
        current = await client.get(info, ns, desired.metadata.name);
      } catch (err) {
        if (!isApiError(err, "NotFound")) throw err;
      }
      if (!current) {
        await client.create(info, desired);
        return "created";
      }
      if (isUnchanged(desired, current)) return "unchanged";
      await client.replace(info, mergeForUpdate(desired, current));
      return "configured";
    } catch (err) {
      const raced = isApiError(err, "Conflict") || isApiError(err, "AlreadyExists");
      if (!raced) throw err;
      if (attempt >= 2) throw new Error(`${label}: changed on the server by another writer while applying, twice (409); run apply again`);
    }
  }
}

export async function applyCommand(client: LandfallClient, file: string, namespace: string | undefined, out: (line: string) => void): Promise<void> {
  const objects = await readManifests(file);
  if (objects.length === 0) throw new Error(`${file === "-" ? "stdin" : file} holds no objects`);
  for (const obj of objects) resolveKind(obj.kind); // fail before writing anything when a kind is unknown
  for (const obj of objects) {
    const result = await applyObject(client, obj, namespace);
    out(`${resolveKind(obj.kind).singular}/${obj.metadata.name} ${result}`);
  }
}

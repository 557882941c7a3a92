// `?dryRun=All` on create, update, patch and delete (Kubernetes semantics): the request is decoded, validated and
// admitted as usual, then judged by the store's write rules against what is stored, and the object that would
// be stored comes back — nothing is written and no delete hook runs. The resource routes swap the store for
// this writer, so every write path has exactly one dry-run behaviour.
import { randomUUID } from "node:crypto";
import { ApiError } from "../api/errors.ts";
import { findKind } from "../api/kinds.ts";
import type { KubeObject } from "../api/meta.ts";
import { planCreate, planDelete, planStatusUpdate, planUpdate, requireIdentity, timestamp } from "../store/sqlite/object-rules.ts";
import { normalizeSecret } from "../store/sqlite/secret-at-rest.ts";
import type { ResourceStore } from "../store/types.ts";

/** The writes a resource route makes: the store's, or their dry-run judgement. */
export type ObjectWriter = Pick<ResourceStore, "create" | "update" | "updateStatus" | "delete">;

/**
 * Whether a write is a dry run: `?dryRun=All`, or (DELETE: kubectl sends it in the DeleteOptions body)
 * `dryRun: ["All"]`. Absent or empty → a real write; any other value is refused, as Kubernetes does.
 */
export function parseDryRun(query: string | undefined, body?: unknown): boolean {
  const fromBody = body !== null && typeof body === "object" ? (body as { dryRun?: unknown }).dryRun : undefined;
  const values = [...(query === undefined || query === "" ? [] : [query]), ...(fromBody === undefined ? [] : Array.isArray(fromBody) ? fromBody : [fromBody])];
  const bad = values.find((v) => v !== "All");
  if (bad !== undefined) {
    throw new ApiError("BadRequest", `dryRun ${JSON.stringify(bad)} is not supported; use dryRun=All (kubectl --dry-run=server) or leave it out`, {
      causes: [{ field: "dryRun", message: `unsupported value ${JSON.stringify(bad)}; the only value is All` }],
    });
  }
  return values.length > 0;
}

/** A writer that reads `store` and answers what each write would store, without writing. */
export function dryRunWriter(store: Pick<ResourceStore, "get">, now: () => Date = () => new Date()): ObjectWriter {
  const current = (obj: KubeObject) => {
    const { kind, namespace, name } = requireIdentity(obj);
    return store.get(kind, namespace, name);
  };
  return {
    async create<T extends KubeObject>(obj: T): Promise<T> {
      const { kind, namespace, name } = requireIdentity(obj);
      const exists = await store.get(kind, namespace, name).then(
        () => true,
        (err: unknown) => {
          if (err instanceof ApiError && err.reason === "NotFound") return false;
          throw err;
        },
      );
      if (exists) throw new ApiError("AlreadyExists", `${kind} "${name}" already exists in namespace "${namespace}"; update it or pick another name`, { kind, name });
      const prepared = obj.kind === "Secret" ? normalizeSecret(obj) : obj;
      return planCreate(prepared, { uid: randomUUID(), now: timestamp(now()) }) as T;
    },
    async update<T extends KubeObject>(obj: T): Promise<T> {
      const prepared = obj.kind === "Secret" ? normalizeSecret(obj) : obj;
      return planUpdate(await current(obj), prepared).object as T;
    },
    async updateStatus<T extends KubeObject>(obj: T): Promise<T> {
      return planStatusUpdate(await current(obj), obj, findKind(obj.kind)?.hasStatus ?? true).object as T;
    },
    async delete<T extends KubeObject = KubeObject>(kind: string, namespace: string, name: string, options?: { resourceVersion?: string }): Promise<T> {
      return planDelete(await store.get(kind, namespace, name), timestamp(now()), options?.resourceVersion).object as T;
    },
  };
}

// ResourceStore on a Kubernetes API server: landfall kinds are custom objects (landfall.dev/v1beta1), Secret
// and ConfigMap the cluster's core/v1 objects (written and read back as apiVersion v1). Errors are the server's
// Status as ApiError; watches follow watch-stream.ts.
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1DeleteOptions } from "@kubernetes/client-node";
import { ApiError } from "../../api/errors.ts";
import type { KindInfo } from "../../api/kinds.ts";
import type { KubeObject } from "../../api/meta.ts";
import type { DeleteOptions, JsonListResult, ListOptions, ListResult, ResourceStore, WatchEvent, WatchOptions } from "../types.ts";
import { pickFields } from "../fields.ts";
import { type CoreKindApi, coreKindApi, type Page } from "./core-api.ts";
import { kubeCall } from "../../api/kube-wire.ts";
import { fromWire, GROUP, kindInfo, listToken, toWire, VERSION, type WireList } from "./objects.ts";
import { watchStream } from "./watch-stream.ts";

export interface KubernetesStoreOptions {
  kubeConfig: KubeConfig;
  /** Watch events held for a slow consumer before the connection is dropped and later resumed (default 1000). */
  watchBufferSize?: number;
}

export function createKubernetesStore(opts: KubernetesStoreOptions): ResourceStore {
  const { kubeConfig } = opts;
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const coreApis = { Secret: coreKindApi(core, "Secret"), ConfigMap: coreKindApi(core, "ConfigMap") };
  const coreFor = (info: KindInfo): CoreKindApi | undefined => (info.core ? coreApis[info.kind as "Secret" | "ConfigMap"] : undefined);
  const crd = (info: KindInfo) => ({ group: GROUP, version: VERSION, plural: info.plural });
  let closed = false;
  const watches = new Set<AbortController>();

  /** Runs one API call, mapping failures to ApiError named after what was attempted. */
  const call = async <R>(what: string, fn: () => Promise<R>): Promise<R> => {
    if (closed) throw new ApiError("ServiceUnavailable", `${what}: the store is closed`);
    return kubeCall(what, fn);
  };

  const get = async <T extends KubeObject>(kind: string, namespace: string, name: string): Promise<T> => {
    const info = kindInfo(kind);
    const api = coreFor(info);
    const raw = await call(`get ${info.kind} ${namespace}/${name}`, () =>
      api ? api.read(namespace, name) : custom.getNamespacedCustomObject({ ...crd(info), namespace, name }),
    );
    return fromWire<T>(raw, info);
  };

  const list = async <T extends KubeObject>(kind: string, options: ListOptions = {}): Promise<ListResult<T>> => {
    const info = kindInfo(kind);
    const api = coreFor(info);
    const page: Page = {};
    if (options.labelSelector) page.labelSelector = options.labelSelector;
    if (options.limit !== undefined) page.limit = options.limit;
    if (options.continue) page._continue = options.continue;
    const where = options.namespace ?? "all namespaces";
    const raw: WireList = await call(`list ${info.plural} in ${where}`, () => {
      if (api) return api.list(options.namespace, page);
      return options.namespace === undefined
        ? custom.listClusterCustomObject({ ...crd(info), ...page })
        : custom.listNamespacedCustomObject({ ...crd(info), namespace: options.namespace, ...page });
    });
    const token = listToken(raw);
    return {
      items: (raw.items ?? []).map((item) => fromWire<T>(item, info)),
      resourceVersion: raw.metadata?.resourceVersion ?? "",
      ...(token ? { continue: token } : {}),
    };
  };

  const revision = async (): Promise<string> => {
    // Any list answers with the store-wide revision; one ConfigMap is the cheapest to ask for.
    const raw = (await call("read the current revision", () => core.listConfigMapForAllNamespaces({ limit: 1 }))) as WireList;
    const rv = raw.metadata?.resourceVersion;
    if (!rv) throw new ApiError("InternalError", "the server's ConfigMap list has no metadata.resourceVersion; cannot tell the current revision");
    return rv;
  };

  const write = async <T extends KubeObject>(verb: "create" | "update", obj: T): Promise<T> => {
    const info = kindInfo(obj.kind);
    const body = toWire(obj, info);
    const namespace = body.metadata.namespace as string;
    const name = body.metadata.name;
    const api = coreFor(info);
    const raw = await call(`${verb} ${info.kind} ${namespace}/${name}`, () => {
      if (verb === "create") return api ? api.create(namespace, body) : custom.createNamespacedCustomObject({ ...crd(info), namespace, body });
      return api ? api.replace(namespace, name, body) : custom.replaceNamespacedCustomObject({ ...crd(info), namespace, name, body });
    });
    return fromWire<T>(raw, info);
  };

  return {
    get,
    list,
    // The client library hands back parsed objects (and fromWire reshapes them), so there is no text to pass through.
    async listJson(kind: string, options?: ListOptions): Promise<JsonListResult> {
      const page = await list(kind, options);
      return { chunks: page.items.length > 0 ? [Buffer.from(page.items.map((o) => JSON.stringify(o)).join(","))] : [], resourceVersion: page.resourceVersion, continue: page.continue };
    },
    async listFields(kind: string, fields: readonly string[], options?: ListOptions): Promise<ListResult> {
      const page = await list(kind, options);
      return { ...page, items: page.items.map((o) => pickFields(o, fields)) };
    },
    revision,
    create: (obj) => write("create", obj),
    update: (obj) => write("update", obj),

    async updateStatus<T extends KubeObject>(obj: T): Promise<T> {
      const info = kindInfo(obj.kind);
      const body = toWire(obj, info);
      const namespace = body.metadata.namespace as string;
      const name = body.metadata.name;
      if (!info.hasStatus) throw new ApiError("MethodNotAllowed", `${info.kind} ${namespace}/${name} has no status; update the object itself`);
      const raw = await call(`update status of ${info.kind} ${namespace}/${name}`, () =>
        custom.replaceNamespacedCustomObjectStatus({ ...crd(info), namespace, name, body }),
      );
      return fromWire<T>(raw, info);
    },

    async delete<T extends KubeObject>(kind: string, namespace: string, name: string, options: DeleteOptions = {}): Promise<T> {
      const info = kindInfo(kind);
      const api = coreFor(info);
      // Read first: a server may answer DELETE with a Status rather than the object (core kinds always do with
      // the typed client), and the caller wants the last state. The uid precondition ties the two together.
      const before = await get<T>(kind, namespace, name);
      // The precondition travels in DeleteOptions (atomic on a real apiserver). Checking it against the read too
      // makes a stale one fail even on servers that ignore DeleteOptions preconditions (landfall serve does).
      if (options.resourceVersion && options.resourceVersion !== before.metadata.resourceVersion) {
        throw new ApiError(
          "Conflict",
          `Operation cannot be fulfilled on ${info.kind} "${name}": the object has been modified (resourceVersion ${before.metadata.resourceVersion}, precondition ${options.resourceVersion}); read it again and retry`,
          { kind: info.kind, name },
        );
      }
      const body: V1DeleteOptions = { preconditions: { uid: before.metadata.uid, ...(options.resourceVersion ? { resourceVersion: options.resourceVersion } : {}) } };
      const raw = await call(`delete ${info.kind} ${namespace}/${name}`, () =>
        api ? api.delete(namespace, name, body) : custom.deleteNamespacedCustomObject({ ...crd(info), namespace, name, body }),
      );
      if ((raw as { kind?: unknown } | undefined)?.kind === info.kind) return fromWire<T>(raw, info);
      if ((before.metadata.finalizers ?? []).length === 0) return before;
      // Finalizers hold it: the marked object (with deletionTimestamp) is the answer.
      try {
        return await get<T>(kind, namespace, name);
      } catch {
        return before;
      }
    },

    watch<T extends KubeObject>(kind: string, options: WatchOptions = {}): AsyncIterable<WatchEvent<T>> {
      const info = kindInfo(kind);
      const prefix = info.core ? "/api/v1" : `/apis/${GROUP}/${VERSION}`;
      const path = options.namespace ? `${prefix}/namespaces/${encodeURIComponent(options.namespace)}/${info.plural}` : `${prefix}/${info.plural}`;
      const bufferSize = opts.watchBufferSize ?? 1000;
      return {
        async *[Symbol.asyncIterator]() {
          if (closed) throw new ApiError("ServiceUnavailable", `watch of ${info.plural}: the store is closed`);
          // One controller per watch so close() can end every open watch.
          const controller = new AbortController();
          const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
          watches.add(controller);
          try {
            yield* watchStream<T>({ ...options, signal, kubeConfig, info, path, bufferSize, currentRevision: revision });
          } finally {
            watches.delete(controller);
          }
        },
      };
    },

    async close(): Promise<void> {
      closed = true;
      for (const controller of watches) controller.abort();
      watches.clear();
    },
  };
}

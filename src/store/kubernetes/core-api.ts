// Secret and ConfigMap through CoreV1Api: the same five calls for either kind, so the store need not care.
import type { CoreV1Api, V1ConfigMap, V1DeleteOptions, V1Secret } from "@kubernetes/client-node";
import type { KubeObject } from "../../api/meta.ts";
import type { WireList } from "./objects.ts";

export interface Page {
  labelSelector?: string;
  limit?: number;
  _continue?: string;
}

export interface CoreKindApi {
  read(namespace: string, name: string): Promise<unknown>;
  list(namespace: string | undefined, page: Page): Promise<WireList>;
  create(namespace: string, body: KubeObject): Promise<unknown>;
  replace(namespace: string, name: string, body: KubeObject): Promise<unknown>;
  delete(namespace: string, name: string, body: V1DeleteOptions): Promise<unknown>;
}

export function coreKindApi(api: CoreV1Api, kind: "Secret" | "ConfigMap"): CoreKindApi {
  if (kind === "Secret") {
    return {
      read: (namespace, name) => api.readNamespacedSecret({ namespace, name }),
      list: (namespace, page) => (namespace === undefined ? api.listSecretForAllNamespaces(page) : api.listNamespacedSecret({ namespace, ...page })),
      create: (namespace, body) => api.createNamespacedSecret({ namespace, body: body as V1Secret }),
      replace: (namespace, name, body) => api.replaceNamespacedSecret({ namespace, name, body: body as V1Secret }),
      delete: (namespace, name, body) => api.deleteNamespacedSecret({ namespace, name, body }),
    };
  }
  return {
    read: (namespace, name) => api.readNamespacedConfigMap({ namespace, name }),
    list: (namespace, page) => (namespace === undefined ? api.listConfigMapForAllNamespaces(page) : api.listNamespacedConfigMap({ namespace, ...page })),
    create: (namespace, body) => api.createNamespacedConfigMap({ namespace, body: body as V1ConfigMap }),
    replace: (namespace, name, body) => api.replaceNamespacedConfigMap({ namespace, name, body: body as V1ConfigMap }),
    delete: (namespace, name, body) => api.deleteNamespacedConfigMap({ namespace, name, body }),
  };
}

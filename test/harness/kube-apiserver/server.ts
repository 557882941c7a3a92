// A test-only Kubernetes API server (never production code): the REST and watch protocol of a real apiserver
// for the types in resources.ts, over the ObjectTable, with bearer-token authentication. The Kubernetes store,
// the operator, the Lease elector and the KubeVirt provider run their suites against it, because no
// kube-apiserver can run on these machines. Objects are validated strictly against the published schemas.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ApiError } from "../../../src/api/errors.ts";
import type { KubeObject } from "../../../src/api/meta.ts";
import { labelSelectorMatcher } from "../../../src/store/selector.ts";
import { type Change, ObjectTable } from "./objects.ts";
import { apiVersionOf, type ResourceType, servedTypes } from "./resources.ts";
import { publishedValidators } from "./schemas.ts";

export interface KubeApiServer {
  url: string;
  token: string;
  objects: ObjectTable;
  /** Resource type by kind and group, for tests that read the table directly. */
  type(group: string, kind: string): ResourceType;
  close(): Promise<void>;
}

interface Route {
  type: ResourceType;
  namespace?: string;
  name?: string;
  status: boolean;
}

function route(types: ResourceType[], path: string): Route | undefined {
  const core = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?([^/]+)(?:\/([^/]+))?(?:\/(status))?$/.exec(path);
  const grouped = /^\/apis\/([^/]+)\/([^/]+)\/(?:namespaces\/([^/]+)\/)?([^/]+)(?:\/([^/]+))?(?:\/(status))?$/.exec(path);
  const [group, version, namespace, plural, name, status] = core ? ["", "v1", core[1], core[2], core[3], core[4]] : grouped ? grouped.slice(1) : [];
  if (plural === undefined) return undefined;
  const type = types.find((t) => t.group === group && t.version === version && t.plural === plural);
  if (!type) return undefined;
  return { type, ...(namespace ? { namespace: decodeURIComponent(namespace) } : {}), ...(name ? { name: decodeURIComponent(name) } : {}), status: status === "status" };
}

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError("BadRequest", `the request body is not JSON: ${text.slice(0, 80)}`);
  }
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === "object" && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function send(res: ServerResponse, code: number, value: unknown): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

/** The watch event a change means for one watcher's selection (or none). */
function eventFor(change: Change, namespace: string | undefined, matches: (l: Record<string, string> | undefined) => boolean): { type: string; object: KubeObject } | undefined {
  if (namespace !== undefined && change.object.metadata.namespace !== namespace) return undefined;
  const now = matches(change.object.metadata.labels);
  const before = change.previous ? matches(change.previous.metadata.labels) : false;
  if (change.event === "MODIFIED") {
    if (now && before) return { type: "MODIFIED", object: change.object };
    if (now) return { type: "ADDED", object: change.object };
    if (before) return { type: "DELETED", object: change.object };
    return undefined;
  }
  return now ? { type: change.event, object: change.object } : undefined;
}

export async function startKubeApiServer(): Promise<KubeApiServer> {
  const types = servedTypes();
  const objects = new ObjectTable(publishedValidators());
  const token = randomBytes(16).toString("hex");
  const watches = new Set<ServerResponse>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.headers.authorization !== `Bearer ${token}`) throw new ApiError("Unauthorized", "Unauthorized");
    const r = route(types, url.pathname);
    if (!r) throw new ApiError("NotFound", `the server could not find the requested resource (${req.method} ${url.pathname})`);
    const q = url.searchParams;
    const { type } = r;
    const ns = r.namespace;
    if (req.method === "GET" && r.name === undefined && (q.get("watch") === "true" || q.get("watch") === "1")) {
      watch(res, r, q);
      return;
    }
    if (req.method === "GET" && r.name === undefined) {
      const page = objects.list(type, ns, {
        labelSelector: q.get("labelSelector") ?? undefined,
        limit: q.has("limit") ? Number(q.get("limit")) : undefined,
        continue: q.get("continue") ?? undefined,
      });
      send(res, 200, {
        apiVersion: apiVersionOf(type),
        kind: `${type.kind}List`,
        metadata: { resourceVersion: page.resourceVersion, ...(page.continue ? { continue: page.continue } : {}) },
        items: page.items,
      });
      return;
    }
    if (ns === undefined) throw new ApiError("MethodNotAllowed", `${req.method} needs a namespace`);
    if (req.method === "POST" && r.name === undefined) {
      send(res, 201, objects.create(type, ns, (await body(req)) as KubeObject));
      return;
    }
    if (r.name === undefined) throw new ApiError("MethodNotAllowed", `${req.method} is not supported on a collection`);
    const sub = r.status ? "status" : undefined;
    if (req.method === "GET") return send(res, 200, objects.get(type, ns, r.name));
    if (req.method === "PUT") return send(res, 200, objects.update(type, ns, r.name, (await body(req)) as KubeObject, sub));
    if (req.method === "PATCH") {
      const contentType = String(req.headers["content-type"] ?? "").split(";")[0];
      if (contentType !== "application/merge-patch+json") throw new ApiError("UnsupportedMediaType", `the test API server takes PATCH only as application/merge-patch+json, not ${contentType}`);
      const current = objects.get(type, ns, r.name);
      const patched = mergePatch(current, await body(req)) as KubeObject;
      return send(res, 200, objects.update(type, ns, r.name, patched, sub));
    }
    if (req.method === "DELETE") {
      const options = ((await body(req)) ?? {}) as { preconditions?: { uid?: string; resourceVersion?: string } };
      const deleted = objects.delete(type, ns, r.name, options.preconditions);
      // As a real apiserver: core kinds answer a Status, custom resources the object's last state.
      if (type.group === "" && !deleted.metadata.deletionTimestamp) return send(res, 200, { kind: "Status", apiVersion: "v1", status: "Success", details: { name: r.name, kind: type.plural, uid: deleted.metadata.uid } });
      return send(res, 200, deleted);
    }
    throw new ApiError("MethodNotAllowed", `${req.method} is not supported`);
  };

  const watch = (res: ServerResponse, r: Route, q: URLSearchParams): void => {
    const matches = labelSelectorMatcher(q.get("labelSelector") ?? undefined);
    const rv = q.get("resourceVersion");
    const backlog: Array<{ type: string; object: KubeObject }> = [];
    if (rv === null || rv === "" || rv === "0") {
      for (const o of objects.list(r.type, r.namespace, {}).items) if (matches(o.metadata.labels)) backlog.push({ type: "ADDED", object: o });
    } else {
      for (const c of objects.changesSince(r.type, Number(rv))) {
        const e = eventFor(c, r.namespace, matches);
        if (e) backlog.push(e);
      }
    }
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    watches.add(res);
    for (const e of backlog) res.write(`${JSON.stringify(e)}\n`);
    const unsubscribe = objects.subscribe((c) => {
      if (c.type !== r.type) return;
      const e = eventFor(c, r.namespace, matches);
      if (e) res.write(`${JSON.stringify(e)}\n`);
    });
    const timeout = q.has("timeoutSeconds") ? setTimeout(() => res.end(), Number(q.get("timeoutSeconds")) * 1000) : undefined;
    res.on("close", () => {
      unsubscribe();
      clearTimeout(timeout);
      watches.delete(res);
    });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e = err instanceof ApiError ? err : new ApiError("InternalError", String(err));
      if (!res.headersSent) send(res, e.code, e.toStatus());
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    objects,
    type: (group, kind) => {
      const t = types.find((x) => x.group === group && x.kind === kind);
      if (!t) throw new Error(`the test API server serves no ${group} ${kind}`);
      return t;
    },
    close: async () => {
      for (const w of watches) w.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

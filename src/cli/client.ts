// HTTP client for the landfall API, shared by the CLI commands and the e2e tests. Every non-2xx answer
// becomes an ApiError carrying the server's Status.
import { ApiError, type StatusBody } from "../api/errors.ts";
import type { KindInfo } from "../api/kinds.ts";
import { API_VERSION, type KubeObject } from "../api/meta.ts";
import type { ClientConfig } from "./config.ts";

export interface ObjectList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion: string; continue?: string };
  items: T[];
}

/** How long a plain (non-watch) request may take. */
const REQUEST_TIMEOUT_MS = 60_000;

export interface RequestOptions {
  body?: unknown;
  /** Raw body text (sent as is with contentType). */
  rawBody?: string;
  contentType?: string;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
}

export interface WatchEventMessage {
  type: "ADDED" | "MODIFIED" | "DELETED" | "ERROR";
  object: KubeObject;
}

/** `/apis/landfall.dev/v1beta1/namespaces/NS/PLURAL[/NAME[/SUB]]`, or all namespaces when ns is undefined. */
export function resourcePath(info: KindInfo, namespace: string | undefined, name?: string, sub?: string): string {
  const base = `/apis/${API_VERSION}`;
  const coll = namespace === undefined ? `${base}/${info.plural}` : `${base}/namespaces/${encodeURIComponent(namespace)}/${info.plural}`;
  if (name === undefined) return coll;
  return `${coll}/${encodeURIComponent(name)}${sub ? `/${sub}` : ""}`;
}

function queryString(query: RequestOptions["query"]): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== "") params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : "";
}

export class LandfallClient {
  readonly server: string;
  readonly token: string | undefined;
  readonly #timeoutMs: number;

  constructor(config: ClientConfig, options: { timeoutMs?: number } = {}) {
    this.#timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    this.server = config.server.replace(/\/+$/, "");
    this.token = config.token;
  }

  private async send(method: string, path: string, opts: RequestOptions = {}, accept = "application/json"): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body: string | undefined;
    if (opts.rawBody !== undefined) body = opts.rawBody;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined) headers["content-type"] = opts.contentType ?? "application/json";
    const url = `${this.server}${path}${queryString(opts.query)}`;
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body, signal: opts.signal });
    } catch (err) {
      if ((err as Error).name === "AbortError" || (err as Error).name === "TimeoutError") throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code === "ECONNREFUSED" ? "connection refused" : (cause?.message ?? (err as Error).message);
      throw new Error(
        `cannot reach the landfall server at ${this.server} (${why}); start one with 'landfall serve' or point LANDFALL_SERVER at a running server`,
      );
    }
    if (!res.ok) throw await errorFrom(res, method, path);
    return res;
  }

  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    // A plain request never waits forever on a hung server; watches (below) run until their own signal ends them.
    const signal = opts.signal ?? AbortSignal.timeout(this.#timeoutMs);
    let res: Response;
    try {
      res = await this.send(method, path, { ...opts, signal });
    } catch (err) {
      if ((err as Error).name === "TimeoutError") {
        throw new Error(`the landfall server at ${this.server} did not answer ${method} ${path} within ${this.#timeoutMs / 1000} s`);
      }
      throw err;
    }
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T extends KubeObject = KubeObject>(info: KindInfo, namespace: string, name: string): Promise<T> {
    return this.request<T>("GET", resourcePath(info, namespace, name));
  }

  list<T extends KubeObject = KubeObject>(info: KindInfo, namespace: string | undefined, query: RequestOptions["query"] = {}): Promise<ObjectList<T>> {
    return this.request<ObjectList<T>>("GET", resourcePath(info, namespace), { query });
  }

  /** Every page of a list. */
  async listAll<T extends KubeObject = KubeObject>(info: KindInfo, namespace: string | undefined, labelSelector?: string): Promise<ObjectList<T>> {
    let page = await this.list<T>(info, namespace, { labelSelector, limit: 500 });
    const items = [...page.items];
    while (page.metadata.continue) {
      page = await this.list<T>(info, namespace, { labelSelector, limit: 500, continue: page.metadata.continue });
      items.push(...page.items);
    }
    return { ...page, items, metadata: { resourceVersion: page.metadata.resourceVersion } };
  }

  create<T extends KubeObject>(info: KindInfo, obj: T): Promise<T> {
    return this.request<T>("POST", resourcePath(info, obj.metadata.namespace ?? "default"), { body: obj });
  }

  replace<T extends KubeObject>(info: KindInfo, obj: T): Promise<T> {
    return this.request<T>("PUT", resourcePath(info, obj.metadata.namespace ?? "default", obj.metadata.name), { body: obj });
  }

  delete<T extends KubeObject = KubeObject>(info: KindInfo, namespace: string, name: string, query: RequestOptions["query"] = {}): Promise<T> {
    return this.request<T>("DELETE", resourcePath(info, namespace, name), { query });
  }

  /** Streams watch events (newline-delimited JSON) to onEvent until it returns false, the signal aborts or the server ends the stream. */
  async watch(path: string, query: RequestOptions["query"], onEvent: (e: WatchEventMessage) => boolean, signal?: AbortSignal): Promise<void> {
    const res = await this.send("GET", path, { query: { ...query, watch: "true" }, signal });
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffered = "";
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let nl = buffered.indexOf("\n");
        while (nl >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) {
            const event = JSON.parse(line) as WatchEventMessage;
            if (event.type === "ERROR") throw ApiError.fromStatus(event.object as unknown as StatusBody);
            if (onEvent(event) === false) return;
          }
          nl = buffered.indexOf("\n");
        }
      }
    } catch (err) {
      if (signal?.aborted && (err as Error).name === "AbortError") return;
      throw err;
    }
  }
}

async function errorFrom(res: Response, method: string, path: string): Promise<Error> {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as StatusBody;
    if (body?.kind === "Status") return ApiError.fromStatus(body);
  } catch {
    // not a Status: fall through
  }
  return new Error(`${method} ${path} failed: HTTP ${res.status} ${text.slice(0, 200)}`);
}

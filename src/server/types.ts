// What the composition root hands the server: storage, auth, and the generic extension points it fills
// (admission checks, per-kind delete hooks, extra routes).
import type { FastifyInstance } from "fastify";
import type { Registry } from "prom-client";
import type { KubeObject } from "../api/meta.ts";
import type { ResourceStore } from "../store/types.ts";
import type { RouteAccess } from "./access.ts";
import type { AuditLog } from "./audit-log.ts";
import type { Auth, Principal } from "./auth.ts";
import type { JsonRoute } from "./json-route.ts";

export interface RouteHelpers {
  /** Adds a JSON endpoint under a namespace: GET needs a reader of it, other methods a writer (authorize.ts). */
  jsonRoute(route: JsonRoute): void;
}

export type AdmissionOperation = "CREATE" | "UPDATE";

/**
 * Throws ApiError (Invalid, Forbidden, …) to reject; resolves to admit. `old` is set for UPDATE. `caller` is
 * the authenticated principal making the request.
 */
export type AdmissionCheck = (op: AdmissionOperation, obj: KubeObject, old: KubeObject | undefined, caller: Principal) => Promise<void>;

export type PropagationPolicy = "Orphan" | "Background" | "Foreground";

export interface DeleteRequest {
  /** `?propagationPolicy=` as sent; undefined when absent. */
  propagationPolicy?: PropagationPolicy;
  /** `?deleteDisks=true`. */
  deleteDisks: boolean;
  principal: Principal;
}

/**
 * Runs before the store deletes `obj` (e.g. the VM controller records Orphan so it leaves the domain alone),
 * after authorization and the delete's preconditions passed. A hook that writes must write `obj` at its
 * resourceVersion (so a concurrent change makes it fail, writing nothing) and return what it wrote; the
 * delete then goes ahead. Throwing aborts the delete.
 */
export type DeleteHook = (obj: KubeObject, request: DeleteRequest) => Promise<KubeObject | undefined>;

export interface ServerOptions {
  store: ResourceStore;
  auth: Auth;
  /** Where mutating calls are recorded; none by default. */
  audit?: AuditLog;
  admission?: AdmissionCheck[];
  /** Keyed by kind, e.g. { VirtualMachine: hook }. */
  deleteHooks?: Record<string, DeleteHook>;
  metricsRegistry?: Registry;
  version: string;
  /** Extra endpoints from the composition root (inventory, power actions); helpers.jsonRoute adds auth. */
  routes?: (app: FastifyInstance, helpers: RouteHelpers) => void;
  /** Serve HTTPS with this certificate and key (PEM). */
  https?: { cert: Buffer | string; key: Buffer | string };
  /** How often watches that allow bookmarks get one (default one minute). */
  bookmarkIntervalMs?: number;
  /** How long a watch client may leave sent events unread before it is dropped with 410 Expired (default 10 s). */
  slowWatchClientTimeoutMs?: number;
  /** Fastify logger; off by default. */
  logger?: boolean;
}

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Who may call the route; required on every route (authorize.ts). */
    access?: RouteAccess;
  }
}

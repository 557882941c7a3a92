// What the composition root hands the server: storage, auth, and the generic extension points it fills
// (admission checks, per-kind delete hooks, extra routes).
import type { FastifyInstance } from "fastify";
import type { Registry } from "prom-client";
import type { KubeObject } from "../api/meta.ts";
import type { ResourceStore } from "../store/types.ts";
import type { Auth, Principal } from "./auth.ts";
import type { JsonRoute } from "./json-route.ts";

export interface RouteHelpers {
  /** Adds an authenticated JSON endpoint (Bearer token; viewers may only GET). */
  jsonRoute(route: JsonRoute): void;
}

export type AdmissionOperation = "CREATE" | "UPDATE";

/**
 * Throws ApiError (Invalid, Forbidden, …) to reject; resolves to admit. `old` is set for UPDATE; `caller` is the
 * authenticated principal making the request.
 */
export type AdmissionCheck = (op: AdmissionOperation, obj: KubeObject, old: KubeObject | undefined, caller: Principal) => Promise<void>;

export type PropagationPolicy = "Orphan" | "Background" | "Foreground";

export interface DeleteRequest {
  /** `?propagationPolicy=` as sent; undefined when absent. */
  propagationPolicy?: PropagationPolicy;
  /** `?deleteDisks=true`. */
  deleteDisks: boolean;
  principal?: Principal;
}

/**
 * Runs before the store deletes `obj` (e.g. the VM controller records Orphan so it leaves the domain alone).
 * May write to the store; throwing aborts the delete.
 */
export type DeleteHook = (obj: KubeObject, request: DeleteRequest) => Promise<void>;

export interface ServerOptions {
  store: ResourceStore;
  auth: Auth;
  admission?: AdmissionCheck[];
  /** Keyed by kind, e.g. { VirtualMachine: hook }. */
  deleteHooks?: Record<string, DeleteHook>;
  metricsRegistry?: Registry;
  version: string;
  /** Extra endpoints from the composition root (inventory, power actions); helpers.jsonRoute adds auth. */
  routes?: (app: FastifyInstance, helpers: RouteHelpers) => void;
  /** Serve HTTPS with this certificate and key (PEM). */
  https?: { cert: Buffer | string; key: Buffer | string };
  /** Fastify logger; off by default. */
  logger?: boolean;
}

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
  }
}

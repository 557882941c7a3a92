// EXTENSION POINT for the composition root: what `serve` plugs into the generic server and starts beside it.
// The lead fills defaultWiring with the controllers, admission checks (path confinement), delete hooks and
// extra routes (inventory, VM power actions). startEmbedded calls it once the store is open.
import type { Registry } from "prom-client";
import type { Conventions } from "../api/conventions.ts";
import type { AdmissionCheck, DeleteHook, RouteHelpers } from "../server/types.ts";
import type { ResourceStore } from "../store/types.ts";
import type { FastifyInstance } from "fastify";

export interface WiringContext {
  store: ResourceStore;
  conventions: Conventions;
  dataDir: string;
  metricsRegistry: Registry;
  /** Disk transfers running at once, server-wide (`serve --max-transfers`); default 2. */
  maxTransfers?: number;
}

/** What a controller gets once the server listens (its URL is known then). */
export interface ControllerContext extends WiringContext {
  url: string;
  signal: AbortSignal;
}

/** A long-running part of the control plane, started after the server listens and stopped on close. */
export interface Controller {
  name: string;
  start(ctx: ControllerContext): Promise<void> | void;
  stop(): Promise<void> | void;
}

export interface Wiring {
  controllers?: Controller[];
  admission?: AdmissionCheck[];
  deleteHooks?: Record<string, DeleteHook>;
  routes?: (app: FastifyInstance, helpers: RouteHelpers) => void;
}

export type Wire = (ctx: WiringContext) => Promise<Wiring> | Wiring;

/** Nothing wired yet: the API server alone. */
export const defaultWiring: Wire = () => ({});

// buildServer: the Fastify instance serving the resource API, discovery, auth, health, version and metrics.
import Fastify, { type FastifyInstance } from "fastify";
import { Registry } from "prom-client";
import { KINDS } from "../api/kinds.ts";
import { API_VERSION } from "../api/meta.ts";
import { installAudit } from "./audit-hook.ts";
import { registerAuthRoutes } from "./auth-routes.ts";
import { installAuthorization } from "./authorize.ts";
import { BODY_LIMIT, registerBodyParsers } from "./bodies.ts";
import { jsonRoute } from "./json-route.ts";
import { CORE_PREFIX, GROUP_PREFIX, noSuchEndpoint } from "./paths.ts";
import { registerResourceRoutes } from "./resources.ts";
import { memorySessions } from "./sessions.ts";
import { registerDashboard } from "./static.ts";
import { toApiError } from "./status.ts";
import type { ServerOptions } from "./types.ts";
import type { WatchRegistry } from "./watch.ts";

const VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"];

export function discovery(core: boolean) {
  const kinds = KINDS.filter((k) => !core || k.core);
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: core ? "v1" : API_VERSION,
    resources: kinds.flatMap((k) => [
      { name: k.plural, singularName: k.singular, namespaced: true, kind: k.kind, verbs: VERBS, shortNames: k.shortNames },
      ...(k.hasStatus ? [{ name: `${k.plural}/status`, singularName: "", namespaced: true, kind: k.kind, verbs: ["get", "update", "patch"] }] : []),
    ]),
  };
}

const open = { config: { access: { level: "anyone", resource: "" } } } as const;
const discoveryAccess = { config: { access: { level: "caller", resource: "discovery" } } } as const;

export function buildServer(opts: ServerOptions): FastifyInstance {
  const common = { logger: opts.logger ?? false, bodyLimit: BODY_LIMIT, forceCloseConnections: true, return503OnClosing: true };
  // One instance type for both transports: routes and hooks do not depend on TLS.
  const app = (opts.https ? Fastify({ ...common, https: opts.https }) : Fastify(common)) as unknown as FastifyInstance;
  const watches: WatchRegistry = new Set();
  const registry = opts.metricsRegistry ?? new Registry();
  // Dashboard sessions live in memory: a restart logs everyone out.
  const sessions = memorySessions();

  // Before any route: every route must declare its access, and one hook enforces it.
  installAuthorization(app, { auth: opts.auth, sessions });
  if (opts.audit) installAudit(app, opts.audit);
  registerBodyParsers(app);

  app.setErrorHandler((err, _req, reply) => {
    const apiErr = toApiError(err);
    if (apiErr.code >= 500) app.log.error(err);
    reply.code(apiErr.code).type("application/json").send(apiErr.toStatus());
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).type("application/json").send(noSuchEndpoint(req.method, req.url.split("?")[0]).toStatus());
  });
  app.addHook("onClose", async () => {
    for (const w of watches) w.abort();
  });

  app.get("/healthz", open, async (_req, reply) => reply.type("text/plain").send("ok"));
  app.get("/version", open, async () => ({ version: opts.version, apiVersion: API_VERSION, node: process.version }));
  app.get("/metrics", open, async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));

  app.get("/apis", discoveryAccess, async () => ({
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: [{ name: "landfall.dev", versions: [{ groupVersion: API_VERSION, version: "v1beta1" }], preferredVersion: { groupVersion: API_VERSION, version: "v1beta1" } }],
  }));
  app.get(GROUP_PREFIX, discoveryAccess, async () => discovery(false));
  app.get(CORE_PREFIX, discoveryAccess, async () => discovery(true));

  registerAuthRoutes(app, { auth: opts.auth, sessions, audit: opts.audit, secureCookies: opts.https !== undefined });
  registerResourceRoutes(app, opts, watches);
  registerDashboard(app);
  opts.routes?.(app, { jsonRoute: (route) => jsonRoute(app, route) });
  return app;
}

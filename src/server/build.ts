// buildServer: the Fastify instance serving the resource API, discovery, auth, health, version and metrics.
import Fastify, { type FastifyInstance } from "fastify";
import { Registry } from "prom-client";
import { ApiError } from "../api/errors.ts";
import { KINDS } from "../api/kinds.ts";
import { API_VERSION } from "../api/meta.ts";
import { parseNamespaces, parseRole } from "./auth.ts";
import { authenticateRequest, authorizeRequest, needsAuth } from "./authenticate.ts";
import { BODY_LIMIT, registerBodyParsers } from "./bodies.ts";
import { jsonRoute } from "./json-route.ts";
import { CORE_PREFIX, GROUP_PREFIX, noSuchEndpoint } from "./paths.ts";
import { registerResourceRoutes } from "./resources.ts";
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

export function buildServer(opts: ServerOptions): FastifyInstance {
  const common = { logger: opts.logger ?? false, bodyLimit: BODY_LIMIT, forceCloseConnections: true, return503OnClosing: true };
  // One instance type for both transports: routes and hooks do not depend on TLS.
  const app = (opts.https ? Fastify({ ...common, https: opts.https }) : Fastify(common)) as unknown as FastifyInstance;
  const watches: WatchRegistry = new Set();
  const registry = opts.metricsRegistry ?? new Registry();

  registerBodyParsers(app);

  app.setErrorHandler((err, _req, reply) => {
    const apiErr = toApiError(err);
    if (apiErr.code >= 500) app.log.error(err);
    reply.code(apiErr.code).type("application/json").send(apiErr.toStatus());
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).type("application/json").send(noSuchEndpoint(req.method, req.url.split("?")[0]).toStatus());
  });

  app.addHook("onRequest", async (req) => {
    if (!needsAuth(req.url.split("?")[0])) return;
    authorizeRequest(req, authenticateRequest(req, opts.auth));
  });
  app.addHook("onClose", async () => {
    for (const w of watches) w.abort();
  });

  app.get("/healthz", async (_req, reply) => reply.type("text/plain").send("ok"));
  app.get("/version", async () => ({ version: opts.version, apiVersion: API_VERSION, node: process.version }));
  app.get("/metrics", async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));

  app.get("/apis", async () => ({
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: [{ name: "landfall.dev", versions: [{ groupVersion: API_VERSION, version: "v1beta1" }], preferredVersion: { groupVersion: API_VERSION, version: "v1beta1" } }],
  }));
  app.get(GROUP_PREFIX, async () => discovery(false));
  app.get(CORE_PREFIX, async () => discovery(true));

  app.post("/auth/tokens", async (req, reply) => {
    const principal = authenticateRequest(req, opts.auth);
    authorizeRequest(req, principal, true);
    const body = (req.body ?? {}) as { role?: unknown; name?: unknown; namespaces?: unknown };
    const role = parseRole(body.role);
    const namespaces = parseNamespaces(body.namespaces);
    if (body.name !== undefined && (typeof body.name !== "string" || !/^[A-Za-z0-9][-A-Za-z0-9_.]{0,62}$/.test(body.name))) {
      throw new ApiError("BadRequest", `token name ${JSON.stringify(body.name)} must be 1-63 letters, digits, '-', '_' or '.'`);
    }
    const token = await opts.auth.createToken(role, body.name as string | undefined, namespaces);
    reply.code(201);
    return { kind: "Token", role, name: body.name ?? null, ...(namespaces ? { namespaces } : {}), token };
  });

  registerResourceRoutes(app, opts, watches);
  registerDashboard(app);
  opts.routes?.(app, { jsonRoute: (route) => jsonRoute(app, opts.auth, route) });
  return app;
}

// The one place that decides who may call what: every route declares `config.access` (a route without one is
// refused at registration), and one onRequest hook — after the router matched the decoded path — identifies
// the caller and executes decideAccess. Handlers never check the caller themselves.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ApiError } from "../api/errors.ts";
import { decideAccess, type RequestFacts, type RouteAccess } from "./access.ts";
import { type Auth, bearerToken } from "./auth.ts";
import { underApiPrefix } from "./paths.ts";
import { CSRF_HEADER, cookieValue, SESSION_COOKIE, type Sessions } from "./sessions.ts";
import type { Principal } from "./tokens.ts";

/** Requests no route matched: anyone gets the 404, except under an API prefix, where a caller comes first. */
const UNMATCHED: RouteAccess = { level: "anyone-outside-api", resource: "" };
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export interface RouteEntry {
  method: string;
  url: string;
  access: RouteAccess;
}

const tables = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Every method and URL registered on the server, with the access each declared. */
export const registeredRoutes = (app: FastifyInstance): readonly RouteEntry[] => tables.get(app) ?? [];

export const accessOf = (req: FastifyRequest): RouteAccess => req.routeOptions.config?.access ?? UNMATCHED;

/** The matched route's facts: namespace and resource come from the router's (decoded) parameters. */
export function routeFacts(req: FastifyRequest, access: RouteAccess = accessOf(req)): RequestFacts & { name?: string } {
  const params = (req.params ?? {}) as Record<string, string | undefined>;
  const resource = access.resource
    .split("/")
    .map((s) => (s.startsWith(":") ? (params[s.slice(1)] ?? "") : s))
    .join("/");
  return {
    underApiPrefix: underApiPrefix(req.url),
    resource,
    ...(access.namespaceParam ? { namespace: params[access.namespaceParam] ?? "" } : {}),
    ...(params.name !== undefined ? { name: params.name } : params.id !== undefined ? { name: params.id } : {}),
  };
}

export interface Credentials {
  auth: Auth;
  sessions: Sessions;
}

/** A bearer token wins; otherwise the session cookie, which unsafe methods may use only with the CSRF header. */
function identify(req: FastifyRequest, creds: Credentials): Principal | undefined {
  const token = bearerToken(req.headers.authorization);
  if (token !== undefined) return creds.auth.authenticate(token);
  const session = cookieValue(req.headers.cookie, SESSION_COOKIE);
  if (session === undefined) return undefined;
  if (!SAFE_METHODS.has(req.method) && req.headers[CSRF_HEADER] === undefined) {
    throw new ApiError("Forbidden", `${req.method} with the session cookie needs the ${CSRF_HEADER} header (cross-site requests cannot send it); API clients send 'Authorization: Bearer <token>' instead`);
  }
  const tokenId = creds.sessions.tokenIdOf(session);
  return tokenId === undefined ? undefined : creds.auth.principalById(tokenId);
}

/** Installs the registration check and the request hook; call before any route is added. */
export function installAuthorization(app: FastifyInstance, creds: Credentials): void {
  const table: RouteEntry[] = [];
  tables.set(app, table);
  app.addHook("onRoute", (route) => {
    const access = route.config?.access;
    if (!access) throw new Error(`route ${String(route.method)} ${route.url} declares no config.access: every route must say who may call it`);
    for (const method of [route.method].flat()) table.push({ method, url: route.url, access });
  });
  app.addHook("onRequest", async (req) => {
    const access = accessOf(req);
    // Probes and the login exchange: nothing to identify (a presented credential is not even looked at).
    if (access.level === "anyone") return;
    const facts = routeFacts(req, access);
    const caller = identify(req, creds);
    if (caller) req.principal = caller;
    const decision = decideAccess(access, caller, facts);
    if (!decision.allowed) throw new ApiError(decision.code === 401 ? "Unauthorized" : "Forbidden", decision.message);
  });
}

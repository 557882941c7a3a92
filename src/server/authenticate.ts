// Per-request authentication and authorization on the matched route: viewers only read, editors write, and a
// token confined to namespaces reaches only those (cluster-wide lists and other unnamespaced writes need a token
// for every namespace, or an admin).
import type { FastifyRequest } from "fastify";
import { ApiError } from "../api/errors.ts";
import { type Auth, bearerToken, type Principal } from "./auth.ts";
import { describePrincipal, isAdmin, mayReadNamespace, mayWriteNamespace } from "./access.ts";
import { isApiPath } from "./paths.ts";

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Paths that always need a token. /healthz, /version and /metrics stay open for probes and scrapers. */
export const needsAuth = (path: string): boolean => isApiPath(path);

const isWatch = (req: FastifyRequest): boolean => {
  const q = req.query as Record<string, unknown> | undefined;
  return q?.watch === "true" || q?.watch === "1";
};

/** Sets request.principal or throws 401/403. EventSource cannot send headers, so watches may use ?access_token=. */
export function authenticateRequest(req: FastifyRequest, auth: Auth): Principal {
  if (req.principal) return req.principal;
  const q = req.query as Record<string, unknown> | undefined;
  const token = bearerToken(req.headers.authorization) ?? (isWatch(req) && typeof q?.access_token === "string" ? q.access_token : undefined);
  if (!token) {
    throw new ApiError("Unauthorized", "missing bearer token: send 'Authorization: Bearer <token>' (the admin token is in <data-dir>/admin.token)");
  }
  const principal = auth.authenticate(token);
  if (!principal) throw new ApiError("Unauthorized", "the bearer token is not valid: check LANDFALL_TOKEN or create a token with 'landfall token create'");
  req.principal = principal;
  return principal;
}

export function authorizeRequest(req: FastifyRequest, principal: Principal, requireAdmin = false): void {
  if (isAdmin(principal)) return;
  const what = `${req.method} ${req.url.split("?")[0]}`;
  if (requireAdmin) throw new ApiError("Forbidden", `${describePrincipal(principal)} may not ${what}: it needs an admin token`);
  const read = READ_METHODS.has(req.method);
  if (!read && principal.role === "viewer") throw new ApiError("Forbidden", `token "${principal.name}" has role viewer, which may only read; ${what} needs an editor or admin token`);
  const ns = (req.params as { ns?: string } | undefined)?.ns;
  if (ns === undefined) {
    if (principal.namespaces === undefined && read) return;
    throw new ApiError("Forbidden", `${describePrincipal(principal)} may not ${what}, which spans every namespace; name a namespace it may use (-n NAMESPACE)`);
  }
  if (read ? !mayReadNamespace(principal, ns) : !mayWriteNamespace(principal, ns)) {
    throw new ApiError("Forbidden", `${describePrincipal(principal)} may not ${read ? "read" : "write"} in namespace "${ns}"; use a token that includes it`);
  }
}

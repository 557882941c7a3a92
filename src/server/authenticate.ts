// Per-request authentication and the read/write rule: viewers may only read.
import type { FastifyRequest } from "fastify";
import { ApiError } from "../api/errors.ts";
import { type Auth, bearerToken, type Principal } from "./auth.ts";
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
  if (principal.role === "admin") return;
  if (requireAdmin || !READ_METHODS.has(req.method)) {
    throw new ApiError("Forbidden", `token "${principal.name}" has role ${principal.role}, which may only read; ${req.method} ${req.url.split("?")[0]} needs an admin token`);
  }
}

// /auth: tokens (create, list, revoke), who am I, dashboard sessions (log in, log out) and the audit log.
// Who may call each route is declared beside it and enforced by authorize.ts.
import type { FastifyInstance } from "fastify";
import { ApiError } from "../api/errors.ts";
import type { AuditLog } from "./audit-log.ts";
import type { Auth } from "./auth.ts";
import { parseDurationSeconds } from "./duration.ts";
import { CSRF_HEADER, cookieValue, SESSION_COOKIE, type Sessions, sessionCookie } from "./sessions.ts";
import { parseNewTokenSpec, type Principal } from "./tokens.ts";

const whoami = (p: Principal) => ({ id: p.id, name: p.name, role: p.role, ...(p.namespaces ? { namespaces: p.namespaces } : {}) });

const caller = (p: Principal | undefined): Principal => {
  // authorize.ts admitted only authenticated callers to these routes; reaching here without one is a bug.
  if (!p) throw new ApiError("InternalError", "route reached without an authenticated caller");
  return p;
};

export function registerAuthRoutes(app: FastifyInstance, deps: { auth: Auth; sessions: Sessions; audit?: AuditLog; secureCookies: boolean }): void {
  const { auth, sessions } = deps;
  const admin = { config: { access: { level: "admin", resource: "tokens" } } } as const;

  app.post("/auth/tokens", admin, async (req, reply) => {
    const { token, info } = await auth.createToken(parseNewTokenSpec(req.body));
    reply.code(201);
    return { kind: "Token", ...info, token };
  });
  app.get("/auth/tokens", admin, async () => ({ kind: "TokenList", items: auth.listTokens() }));
  app.delete("/auth/tokens/:id", admin, async (req) => ({ kind: "Token", ...(await auth.revokeToken((req.params as { id: string }).id)) }));

  app.get("/auth/whoami", { config: { access: { level: "caller", resource: "whoami" } } }, async (req) => whoami(caller(req.principal)));

  // Log in: exchange a token for a session cookie. Needs the CSRF header too, so no other site can log a
  // browser in under its own token.
  app.post("/auth/session", { config: { access: { level: "anyone", resource: "sessions" } } }, async (req, reply) => {
    if (req.headers[CSRF_HEADER] === undefined) throw new ApiError("Forbidden", `logging in needs the ${CSRF_HEADER} header (the dashboard sends it)`);
    const token = (req.body as { token?: unknown } | undefined)?.token;
    if (typeof token !== "string" || token === "") {
      throw new ApiError("BadRequest", 'body must be {"token": "<token>"}: the admin token is in <data-dir>/admin.token', { causes: [{ field: "token", message: "required" }] });
    }
    const principal = auth.authenticate(token);
    if (!principal) throw new ApiError("Unauthorized", "the token is not valid (unknown, revoked or expired): check it or create one with 'landfall token create'");
    req.principal = principal;
    const session = sessions.create(principal.id);
    reply.header("set-cookie", sessionCookie(session.id, session.maxAgeSeconds, deps.secureCookies)).code(201);
    return whoami(principal);
  });
  app.delete("/auth/session", { config: { access: { level: "caller", resource: "sessions" } } }, async (req, reply) => {
    const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
    if (id !== undefined) sessions.end(id);
    reply.header("set-cookie", sessionCookie("", 0, deps.secureCookies));
    return { kind: "Status", status: "Success", message: "logged out" };
  });

  app.get("/auth/audit", { config: { access: { level: "admin", resource: "audit" } } }, async (req) => {
    if (!deps.audit) throw new ApiError("NotFound", "this server keeps no audit log (it runs without a data directory)");
    const since = (req.query as { since?: string }).since;
    const from = since ? Date.now() - parseDurationSeconds("since", since) * 1000 : 0;
    return { kind: "AuditEntryList", items: await deps.audit.read(from) };
  });
}

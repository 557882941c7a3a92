// Who may do what: pure predicates over a principal, and the decision for a matched route. A principal
// "may read/write" a namespace; a route "admits" or "refuses" a caller. The request hook (authorize.ts) only
// executes these decisions.
import type { Principal } from "./tokens.ts";

/**
 * An admin of everything: role admin and no namespace limit. An admin token limited to namespaces administers
 * only those (writes there) and cannot manage tokens — else it could mint itself an unlimited one.
 */
export const isAdmin = (p: Principal): boolean => p.role === "admin" && p.namespaces === undefined;

/** Undefined namespaces = every namespace. */
const coversNamespace = (p: Principal, ns: string): boolean => p.namespaces === undefined || p.namespaces.includes(ns);

export const mayReadNamespace = (p: Principal, ns: string): boolean => coversNamespace(p, ns);

export const mayWriteNamespace = (p: Principal, ns: string): boolean => (p.role === "editor" || p.role === "admin") && coversNamespace(p, ns);

/**
 * What a route declares about its callers (Fastify route `config.access`):
 * - `anyone`: probes and the login exchange;
 * - `anyone-outside-api`: the dashboard's files and unmatched URLs — anyone, unless the path decodes under an
 *   API prefix, where a caller must authenticate first (then gets the 404);
 * - `caller`: any authenticated principal (discovery, whoami, logout);
 * - `admin`: tokens and the audit log;
 * - `reader` / `writer`: resources and actions on them, in the namespace named by `namespaceParam`
 *   (none = cluster-wide).
 */
export type AccessLevel = "anyone" | "anyone-outside-api" | "caller" | "admin" | "reader" | "writer";

export interface RouteAccess {
  level: AccessLevel;
  /** Route parameter holding the namespace. */
  namespaceParam?: string;
  /** The resource acted on, for the audit log and per-kind rules: a literal, or ":param" naming a route parameter. */
  resource: string;
}

/** What the route decision needs to know about the request, taken from the matched route. */
export interface RequestFacts {
  /** The path, decoded and normalised, lies under /api, /apis or /auth. */
  underApiPrefix: boolean;
  namespace?: string;
  resource: string;
}

export type AccessDecision = { allowed: true } | { allowed: false; code: 401 | 403; message: string };

const ALLOW: AccessDecision = { allowed: true };
const UNAUTHENTICATED: AccessDecision = {
  allowed: false,
  code: 401,
  message: "missing, revoked or expired credentials: send 'Authorization: Bearer <token>' (the admin token is in <data-dir>/admin.token; 'landfall token create' makes others) or log in to the dashboard",
};
const refuse = (message: string): AccessDecision => ({ allowed: false, code: 403, message });
/** How errors name a caller: token name, ID, role and namespaces (never the token). */
export const describePrincipal = (p: Principal): string => `token "${p.name}" (ID ${p.id}, role ${p.role}${p.namespaces ? `, namespaces ${p.namespaces.join(", ")}` : ""})`;

/** Kinds whose writes only admins may make: Providers hold credentials and reach hypervisors for every tenant. */
const ADMIN_WRITTEN_RESOURCES = new Set(["providers"]);

export function decideAccess(access: RouteAccess, caller: Principal | undefined, facts: RequestFacts): AccessDecision {
  if (access.level === "anyone") return ALLOW;
  if (access.level === "anyone-outside-api" && !facts.underApiPrefix) return ALLOW;
  if (!caller) return UNAUTHENTICATED;
  switch (access.level) {
    case "anyone-outside-api":
    case "caller":
      return ALLOW;
    case "admin":
      return isAdmin(caller) ? ALLOW : refuse(`${describePrincipal(caller)} may not use ${facts.resource}: it needs an admin token for every namespace`);
    case "reader":
      if (facts.namespace !== undefined && !mayReadNamespace(caller, facts.namespace)) {
        return refuse(`${describePrincipal(caller)} may not read namespace "${facts.namespace}"; use a token for that namespace`);
      }
      return ALLOW;
    case "writer":
      if (caller.role === "viewer") return refuse(`${describePrincipal(caller)} may only read; writing ${facts.resource} needs an editor or admin token`);
      if (ADMIN_WRITTEN_RESOURCES.has(facts.resource) && !isAdmin(caller)) return refuse(`${describePrincipal(caller)} may not write ${facts.resource}: only admins of every namespace create and change them`);
      if (facts.namespace === undefined) return isAdmin(caller) ? ALLOW : refuse(`${describePrincipal(caller)} may not write across namespaces`);
      if (!mayWriteNamespace(caller, facts.namespace)) return refuse(`${describePrincipal(caller)} may not write in namespace "${facts.namespace}"; use a token for that namespace`);
      return ALLOW;
  }
}

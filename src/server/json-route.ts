// The helper the composition root uses to add JSON endpoints (inventory, VM power actions, adoption, clone).
// Each acts on something in the namespace named by the route's `:ns`: GET needs a reader of that namespace,
// other methods a writer (admin-only routes need an admin). authorize.ts enforces it before the handler runs.
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from "fastify";
import { ApiError } from "../api/errors.ts";
import type { RouteAccess } from "./access.ts";
import type { Principal } from "./tokens.ts";

export interface JsonRouteContext {
  req: FastifyRequest;
  reply: FastifyReply;
  /** The authenticated caller. */
  principal: Principal;
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
}

export interface JsonRoute {
  method: HTTPMethods;
  /** Must contain `:ns` (the namespace acted in). */
  url: string;
  /** Needs an admin even for GET (reads that act, e.g. revealing data). */
  adminOnly?: boolean;
  /** Returns the JSON response body; throw ApiError for a Status response. */
  handler: (ctx: JsonRouteContext) => Promise<unknown>;
}

/** The access a JSON route declares: e.g. `…/namespaces/:ns/virtualmachines/:name/clone` acts on "virtualmachines/clone". */
export function jsonRouteAccess(route: Pick<JsonRoute, "method" | "url" | "adminOnly">): RouteAccess {
  const segments = route.url.split("/");
  const at = segments.indexOf(":ns");
  if (at < 0) throw new Error(`JSON route ${route.method} ${route.url} has no :ns parameter: every JSON route acts in a namespace`);
  const resource = segments
    .slice(at + 1)
    .filter((s) => s !== ":name")
    .join("/");
  const level = route.adminOnly ? "admin" : route.method === "GET" ? "reader" : "writer";
  return { level, namespaceParam: "ns", resource };
}

export function jsonRoute(app: FastifyInstance, route: JsonRoute): void {
  app.route({
    method: route.method,
    url: route.url,
    config: { access: jsonRouteAccess(route) },
    handler: async (req, reply) => {
      if (!req.principal) throw new ApiError("InternalError", `${route.method} ${route.url} reached without an authenticated caller`);
      const result = await route.handler({
        req,
        reply,
        principal: req.principal,
        params: req.params as Record<string, string>,
        query: req.query as Record<string, string>,
        body: req.body,
      });
      if (result === undefined) throw new ApiError("InternalError", `${route.method} ${route.url} produced no response`);
      return result;
    },
  });
}

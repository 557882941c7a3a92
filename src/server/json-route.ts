// The helper the composition root uses to add authenticated JSON endpoints (inventory, VM power actions).
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from "fastify";
import { ApiError } from "../api/errors.ts";
import type { Auth, Principal } from "./auth.ts";
import { authenticateRequest, authorizeRequest } from "./authenticate.ts";

export interface JsonRouteContext {
  req: FastifyRequest;
  reply: FastifyReply;
  principal: Principal;
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
}

export interface JsonRoute {
  method: HTTPMethods;
  url: string;
  /** Needs an admin even for GET (reads that act, e.g. revealing data). Non-GET methods always do. */
  adminOnly?: boolean;
  /** Returns the JSON response body; throw ApiError for a Status response. */
  handler: (ctx: JsonRouteContext) => Promise<unknown>;
}

/** Registers an endpoint that authenticates (Bearer), authorises (viewers read only) and answers JSON. */
export function jsonRoute(app: FastifyInstance, auth: Auth, route: JsonRoute): void {
  app.route({
    method: route.method,
    url: route.url,
    handler: async (req, reply) => {
      const principal = authenticateRequest(req, auth);
      authorizeRequest(req, principal, route.adminOnly);
      const result = await route.handler({
        req,
        reply,
        principal,
        params: req.params as Record<string, string>,
        query: req.query as Record<string, string>,
        body: req.body,
      });
      if (result === undefined) throw new ApiError("InternalError", `${route.method} ${route.url} produced no response`);
      return result;
    },
  });
}

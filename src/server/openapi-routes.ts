// `/openapi/v2` and `/openapi/v3[/<group-version>]`: for any authenticated caller, like discovery.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ApiError } from "../api/errors.ts";
import { acceptsJson, documentHash, GROUP_VERSIONS, openApiV2Document, openApiV3Document, openApiV3Index } from "./openapi.ts";

const access = { config: { access: { level: "caller", resource: "openapi" } } } as const;

export function registerOpenApiRoutes(app: FastifyInstance, version: string): void {
  const v2 = openApiV2Document(version);
  const v3 = new Map(GROUP_VERSIONS.map((gv) => [gv.path, openApiV3Document(gv, version)]));
  const index = openApiV3Index(version);

  app.get("/openapi/v2", access, async (req, reply) => {
    if (!acceptsJson(req.headers.accept)) {
      throw new ApiError("NotAcceptable", `/openapi/v2 is served as application/json only (asked for ${JSON.stringify(req.headers.accept)}); use /openapi/v3 or Accept: application/json`);
    }
    return reply.type("application/json").send(v2);
  });
  app.get("/openapi/v3", access, async () => index);
  const serveDocument = async (req: FastifyRequest, reply: FastifyReply, path: string) => {
    const doc = v3.get(path);
    if (!doc) throw new ApiError("NotFound", `no OpenAPI document for "${path}"; known: ${[...v3.keys()].join(", ")}`);
    const hash = (req.query as { hash?: string }).hash;
    // A hashed URL names immutable content (kubectl caches it); an unhashed one must be revalidated.
    reply.header("cache-control", hash === documentHash(doc) ? "public, immutable" : "no-cache, private");
    return reply.type("application/json").send(doc);
  };
  app.get("/openapi/v3/apis/:group/:version", access, (req, reply) => {
    const p = req.params as { group: string; version: string };
    return serveDocument(req, reply, `apis/${p.group}/${p.version}`);
  });
  app.get("/openapi/v3/api/:version", access, (req, reply) => serveDocument(req, reply, `api/${(req.params as { version: string }).version}`));
}

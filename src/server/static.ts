// Serves the built dashboard (web/dist) at `/`: real files by path, index.html for every other non-API path
// (SPA fallback, so /virtualmachines survives a reload). API paths never fall back to HTML: an unknown
// /apis/… or /api/… URL keeps its Kubernetes Status 404.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import { ApiError } from "../api/errors.ts";
import { GROUP_PREFIX, noSuchEndpoint, underApiPrefix } from "./paths.ts";

/** web/dist beside the sources; LANDFALL_WEB_DIST points elsewhere (a packaged build). */
export const DEFAULT_DASHBOARD_DIR = process.env.LANDFALL_WEB_DIST || fileURLToPath(new URL("../../web/dist", import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json",
};

/** The page only talks to its own origin; inline styles are PatternFly's (style attributes), scripts never inline. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

export type StaticDecision = { kind: "api" } | { kind: "invalid" } | { kind: "file"; relativePath: string; fallbackToIndex: boolean };

/**
 * What a GET for `urlPath` (no query) should get. Paths that name a file (`/assets/x.js`) are answered 404 when
 * missing, so a broken asset link never returns HTML; extension-less paths are app routes → index.html.
 */
export function decideStatic(urlPath: string): StaticDecision {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return { kind: "invalid" };
  }
  if (underApiPrefix(urlPath)) return { kind: "api" };
  const segments = decoded.split("/").filter((s) => s !== "");
  if (decoded.includes("\0") || decoded.includes("\\") || segments.some((s) => s === ".." || s === ".")) return { kind: "invalid" };
  const relativePath = segments.join("/");
  if (relativePath === "" || relativePath === "index.html") return { kind: "file", relativePath: "index.html", fallbackToIndex: false };
  return { kind: "file", relativePath, fallbackToIndex: extname(segments[segments.length - 1]) === "" };
}

async function fileIn(root: string, relativePath: string): Promise<string | undefined> {
  const full = join(root, relativePath);
  if (!full.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  const st = await stat(full).catch(() => undefined);
  return st?.isFile() ? full : undefined;
}

function sendFile(reply: FastifyReply, full: string): FastifyReply {
  const isIndex = full.endsWith(`${sep}index.html`);
  reply.header("content-type", CONTENT_TYPES[extname(full)] ?? "application/octet-stream");
  reply.header("x-content-type-options", "nosniff");
  // Vite names assets by content hash: they never change; index.html must always be re-read.
  reply.header("cache-control", isIndex ? "no-cache" : full.includes(`${sep}assets${sep}`) ? "public, max-age=31536000, immutable" : "public, max-age=300");
  if (isIndex) reply.header("content-security-policy", CSP);
  return reply.send(createReadStream(full));
}

/** Errors as Status bodies, rendered here so the route behaves the same on any Fastify instance. */
const sendStatus = (reply: FastifyReply, err: ApiError): FastifyReply => reply.code(err.code).type("application/json").send(err.toStatus());

export function registerDashboard(app: FastifyInstance, root: string = DEFAULT_DASHBOARD_DIR): void {
  app.get("/*", { config: { access: { level: "anyone-outside-api", resource: "" } } }, async (req, reply) => {
    const urlPath = req.url.split("?")[0];
    const decision = decideStatic(urlPath);
    if (decision.kind === "api") return sendStatus(reply, noSuchEndpoint(req.method, urlPath));
    if (decision.kind === "invalid") return sendStatus(reply, new ApiError("BadRequest", `path ${JSON.stringify(urlPath)} is not a valid dashboard path`));
    const index = await fileIn(root, "index.html");
    if (!index) {
      reply.code(503).type("text/plain; charset=utf-8");
      return `The landfall dashboard is not built (no ${join(root, "index.html")}). Run 'make setup' (it runs scripts/build-web.sh). The API is served under ${GROUP_PREFIX}.\n`;
    }
    const file = await fileIn(root, decision.relativePath);
    if (file) return sendFile(reply, file);
    if (decision.fallbackToIndex) return sendFile(reply, index);
    return sendStatus(reply, new ApiError("NotFound", `no such file in the dashboard: ${urlPath}`));
  });
}

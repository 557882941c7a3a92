// Request bodies: JSON, the two patch types, and YAML; everything else is 415. Bodies are parsed here so a
// malformed one becomes a 400 Status before any handler runs.
import type { FastifyInstance } from "fastify";
import { parseAllDocuments } from "yaml";
import { ApiError } from "../api/errors.ts";

export const BODY_LIMIT = 1024 * 1024;

export const APPLY_PATCH = "application/apply-patch+yaml";
export const STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json";
export const JSON_TYPES = ["application/json", "application/merge-patch+json", "application/json-patch+json", STRATEGIC_MERGE_PATCH];
/** Server-side apply bodies are YAML (JSON is YAML too). */
export const YAML_TYPES = ["application/yaml", "application/x-yaml", "text/yaml", APPLY_PATCH];
export const PATCH_TYPES = ["application/merge-patch+json", "application/json-patch+json", APPLY_PATCH, STRATEGIC_MERGE_PATCH];

export function parseJsonBody(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError("BadRequest", `request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** One YAML document; several, or a syntax error, is a 400 naming the line. */
export function parseYamlBody(text: string): unknown {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return undefined; // empty stream
  const nonEmpty = docs.filter((d) => d.contents !== null || d.errors.length > 0);
  if (nonEmpty.length > 1) throw new ApiError("BadRequest", `request body holds ${nonEmpty.length} YAML documents; send one object per request`);
  const doc = nonEmpty[0];
  if (!doc) return undefined;
  if (doc.errors.length > 0) throw new ApiError("BadRequest", `request body is not valid YAML: ${doc.errors[0].message.split("\n")[0]}`);
  return doc.toJS();
}

export function registerBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_TYPES, { parseAs: "string", bodyLimit: BODY_LIMIT }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser(YAML_TYPES, { parseAs: "string", bodyLimit: BODY_LIMIT }, (_req, body, done) => {
    try {
      done(null, parseYamlBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

/** The media type of a request without parameters, lower-cased. */
export const mediaType = (header: string | undefined): string => (header ?? "").split(";")[0].trim().toLowerCase();

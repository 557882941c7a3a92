// URL segments → kind and object identity, rejected before anything reaches the store.
import { ApiError } from "../api/errors.ts";
import { type KindInfo, KINDS, kindByPlural } from "../api/kinds.ts";
import { DNS1123_LABEL } from "../api/meta.ts";

export const GROUP_PREFIX = "/apis/landfall.dev/v1beta1";
export const CORE_PREFIX = "/api/v1";

const LABEL = new RegExp(DNS1123_LABEL);

const API_ROOTS = new Set(["api", "apis", "auth"]);
/** Decoding rounds before a path counts as undecodable (a client may encode an encoding). */
const MAX_DECODES = 4;

/**
 * Whether a raw request path (query allowed) names something under /api, /apis or /auth once decoded and
 * normalised the way any router or proxy might: percent-decoding (repeatedly), case, `;` parameters, empty
 * and dot segments, backslashes. A path that cannot be decoded counts as under the prefix (fail closed).
 * These paths need a caller and never get dashboard HTML.
 */
export function underApiPrefix(rawUrl: string): boolean {
  let path = rawUrl.split(/[?#]/)[0];
  for (let round = 0; path.includes("%"); round++) {
    if (round >= MAX_DECODES) return true;
    try {
      const next = decodeURIComponent(path);
      if (next === path) break;
      path = next;
    } catch {
      return true;
    }
  }
  const segments: string[] = [];
  for (const raw of path.toLowerCase().split(/[/\\]/)) {
    const segment = raw.split(";")[0].trim();
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  return segments.length > 0 && API_ROOTS.has(segments[0]);
}

/** The 404 for a URL that no route serves. */
export const noSuchEndpoint = (method: string, path: string): ApiError =>
  new ApiError("NotFound", `no such endpoint: ${method} ${path}; resources live under ${GROUP_PREFIX}/namespaces/{namespace}/{plural}`);

/** Kind served at this plural; core (/api/v1) paths serve only Secret and ConfigMap. */
export function kindForPath(plural: string, core: boolean): KindInfo {
  const info = kindByPlural(plural);
  if (!info || (core && !info.core)) {
    const served = KINDS.filter((k) => !core || k.core).map((k) => k.plural);
    throw new ApiError("NotFound", `the server does not serve resource "${plural}"${core ? " under /api/v1" : ""}; known resources: ${served.join(", ")}`);
  }
  return info;
}

/** A namespace or name taken from the URL must be a DNS-1123 label ('/', '..', upper case, shell characters are not). */
export function checkPathSegment(field: "namespace" | "name", value: string): string {
  if (value.length > 63 || !LABEL.test(value)) {
    throw new ApiError(
      "BadRequest",
      `${field} ${JSON.stringify(value)} in the URL is not a valid name: use lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters`,
      { causes: [{ field: `metadata.${field}`, message: "not a DNS-1123 label" }] },
    );
  }
  return value;
}

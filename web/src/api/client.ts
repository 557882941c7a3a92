// The dashboard's HTTP client: the session cookie and the CSRF header on every call, Kubernetes Status bodies turned into errors whose
// message is the server's own (shown to the user as is, never swallowed).
export const GROUP_PATH = "/apis/landfall.dev/v1beta1";

export interface StatusCause {
  field?: string;
  message: string;
}

export class ApiRequestError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  readonly causes: StatusCause[];

  constructor(status: number, message: string, reason?: string, causes: StatusCause[] = []) {
    super(message);
    this.name = "ApiRequestError";
    this.status = status;
    this.reason = reason;
    this.causes = causes;
  }
}

export const isUnauthorized = (err: unknown): boolean => err instanceof ApiRequestError && err.status === 401;

/** A Status body's message (plus its field causes), or the HTTP status line when the body is not a Status. */
export function errorFromResponse(status: number, statusText: string, body: string): ApiRequestError {
  try {
    const parsed = JSON.parse(body) as { kind?: string; message?: string; reason?: string; details?: { causes?: StatusCause[] } };
    if (parsed && parsed.kind === "Status" && typeof parsed.message === "string") {
      return new ApiRequestError(status, parsed.message, parsed.reason, parsed.details?.causes ?? []);
    }
  } catch {
    // not JSON: fall through to the status line
  }
  return new ApiRequestError(status, `${status} ${statusText}${body ? `: ${body.slice(0, 300)}` : ""}`);
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** Sent on every call: the server accepts the session cookie for unsafe methods only with it (CSRF defence). */
export const CSRF_HEADER = "x-landfall-csrf";

export interface ApiClient {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  /** JSON merge patch (RFC 7386), the body the server expects as application/merge-patch+json. */
  mergePatch<T>(path: string, patch: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
  /** URL of a Server-Sent Events watch; EventSource sends the session cookie, never a token in the URL. */
  watchUrl(collectionPath: string, resourceVersion: string): string;
}

/**
 * The API through the session cookie (HttpOnly: this code never sees it). The page keeps no token: the login
 * form exchanges it for the cookie (POST /auth/session) and forgets it.
 */
export function createApiClient(fetchImpl: Fetch = (input, init) => fetch(input, init)): ApiClient {
  const call = async <T>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<T> => {
    let res: Response;
    try {
      res = await fetchImpl(path, {
        method,
        credentials: "same-origin",
        headers: { accept: "application/json", [CSRF_HEADER]: "1", ...(body !== undefined ? { "content-type": contentType } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiRequestError(0, `cannot reach the landfall server (${method} ${path}): ${(err as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) throw errorFromResponse(res.status, res.statusText, text);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return {
    get: (path) => call("GET", path),
    post: (path, body) => call("POST", path, body ?? {}),
    mergePatch: (path, patch) => call("PATCH", path, patch, "application/merge-patch+json"),
    delete: (path) => call("DELETE", path),
    watchUrl: (collectionPath, resourceVersion) => `${collectionPath}?watch=true&resourceVersion=${encodeURIComponent(resourceVersion)}`,
  };
}

export const collectionPath = (plural: string, namespace?: string): string =>
  namespace ? `${GROUP_PATH}/namespaces/${namespace}/${plural}` : `${GROUP_PATH}/${plural}`;
export const objectPath = (plural: string, namespace: string, name: string): string => `${GROUP_PATH}/namespaces/${namespace}/${plural}/${name}`;

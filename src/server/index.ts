// The HTTP API server's public surface.
export { isAdmin, mayReadNamespace, mayWriteNamespace } from "./access.ts";
export { type Auth, type FileAuth, memoryAuth, openFileAuth, type Principal, type Role } from "./auth.ts";
export { buildServer } from "./build.ts";
export { type JsonRoute, type JsonRouteContext, jsonRoute } from "./json-route.ts";
export { REDACTED, redactSecret } from "./redact.ts";
export type { AdmissionCheck, AdmissionOperation, DeleteHook, DeleteRequest, PropagationPolicy, RouteHelpers, ServerOptions } from "./types.ts";

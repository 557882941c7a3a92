// The vSphere source provider's public surface; everything else in this folder is its implementation.
export { type SourceErrorCode, SourceProviderError, VsphereFault } from "./errors.ts";
export { createVsphereSource, type VsphereSourceOptions } from "./source-provider.ts";
export type { TlsOptions } from "./tls-trust.ts";

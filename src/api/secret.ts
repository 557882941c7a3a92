// Secret: credentials. Same shape as Kubernetes core/v1 Secret; encrypted at rest, redacted for viewers.
import { Type } from "@sinclair/typebox";
import { API_VERSION, type KubeObject, resourceSchema } from "./meta.ts";

export const SecretSchema = resourceSchema(
  "Secret",
  {
    type: Type.Optional(Type.String()),
    data: Type.Optional(Type.Record(Type.String(), Type.String({ contentEncoding: "base64" }))),
    stringData: Type.Optional(Type.Record(Type.String(), Type.String())),
    immutable: Type.Optional(Type.Boolean()),
  },
  [API_VERSION, "v1"],
);
export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  immutable?: boolean;
}

/** The plain-text value of key `key`, whichever of data (base64) or stringData holds it. */
export function secretValue(secret: { data?: Record<string, string>; stringData?: Record<string, string> }, key: string): string | undefined {
  if (secret.stringData?.[key] !== undefined) return secret.stringData[key];
  const b64 = secret.data?.[key];
  return b64 === undefined ? undefined : Buffer.from(b64, "base64").toString("utf8");
}

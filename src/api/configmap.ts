// ConfigMap: plain key/value records (adoption tracking `vm-adopted-<vm>`). Same shape as core/v1 ConfigMap.
import { Type } from "@sinclair/typebox";
import { API_VERSION, type KubeObject, resourceSchema } from "./meta.ts";

export const ConfigMapSchema = resourceSchema(
  "ConfigMap",
  {
    data: Type.Optional(Type.Record(Type.String(), Type.String())),
    binaryData: Type.Optional(Type.Record(Type.String(), Type.String())),
    immutable: Type.Optional(Type.Boolean()),
  },
  [API_VERSION, "v1"],
);
export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
  immutable?: boolean;
}

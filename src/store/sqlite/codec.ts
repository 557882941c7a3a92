// Objects to database text and back; Secrets pass through the sealer so only sealed data reaches the file.
import type { KubeObject } from "../../api/meta.ts";
import type { SecretSealer } from "./secret-at-rest.ts";

export interface ObjectCodec {
  encode(obj: KubeObject): string;
  decode(body: string): KubeObject;
}

export function objectCodec(sealer: SecretSealer): ObjectCodec {
  return {
    encode: (obj) => JSON.stringify(obj.kind === "Secret" ? sealer.seal(obj) : obj),
    decode: (body) => {
      const obj = JSON.parse(body) as KubeObject;
      return obj.kind === "Secret" ? sealer.open(obj) : obj;
    },
  };
}

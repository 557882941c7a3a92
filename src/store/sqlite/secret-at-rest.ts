// How Secrets are kept in the database: stringData folded into base64 data (as Kubernetes does), and with a
// key, data sealed with AES-256-GCM so the database file never holds a credential in plain text.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { ApiError } from "../../api/errors.ts";
import type { KubeObject } from "../../api/meta.ts";

/** Field of the stored (never the returned) Secret that holds the sealed `data`. */
const SEALED = "sealedData";
const FORMAT = "aes-256-gcm:v1";

function stringMap(value: unknown, field: string, name: string): Record<string, string> {
  if (value === undefined) return {};
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ApiError("BadRequest", `Secret "${name}": ${field} must be a map of string keys to string values`);
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw new ApiError("BadRequest", `Secret "${name}": ${field}.${k} must be a string`);
  }
  return value as Record<string, string>;
}

/** stringData merged over data as base64, then dropped: the only form a Secret is stored and returned in. */
export function normalizeSecret(obj: KubeObject): KubeObject {
  if (obj.stringData === undefined) return obj;
  const name = obj.metadata?.name ?? "";
  const data = { ...stringMap(obj.data, "data", name) };
  for (const [k, v] of Object.entries(stringMap(obj.stringData, "stringData", name))) {
    data[k] = Buffer.from(v, "utf8").toString("base64");
  }
  const { stringData: _plain, ...rest } = obj;
  return { ...rest, data };
}

export interface SecretSealer {
  /** The form to store: data sealed (when a key is set). */
  seal(secret: KubeObject): KubeObject;
  /** The form to return: data readable again. */
  open(secret: KubeObject): KubeObject;
}

function boundTo(secret: KubeObject): Buffer {
  // Binding ciphertext to the object's identity stops a sealed value being pasted into another Secret.
  return Buffer.from(`Secret/${secret.metadata.namespace}/${secret.metadata.name}`, "utf8");
}

export function secretSealer(key: Uint8Array | undefined): SecretSealer {
  if (key !== undefined && key.length !== 32) {
    throw new Error(`secretKey must be 32 bytes for AES-256-GCM, got ${key.length}; generate one with crypto.randomBytes(32)`);
  }
  return {
    seal(secret) {
      if (key === undefined || secret.data === undefined) return secret;
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(boundTo(secret));
      const sealed = Buffer.concat([cipher.update(JSON.stringify(secret.data), "utf8"), cipher.final()]);
      const { data: _data, ...rest } = secret;
      const parts = [iv, cipher.getAuthTag(), sealed].map((b) => b.toString("base64"));
      return { ...rest, [SEALED]: `${FORMAT}:${parts.join(":")}` };
    },
    open(stored) {
      const sealed = stored[SEALED];
      if (typeof sealed !== "string") return stored;
      const where = `Secret "${stored.metadata.namespace}/${stored.metadata.name}"`;
      if (key === undefined) throw new ApiError("InternalError", `${where} is encrypted at rest; start the store with its secret key`);
      const parts = sealed.slice(FORMAT.length + 1).split(":");
      if (!sealed.startsWith(`${FORMAT}:`) || parts.length !== 3) throw new ApiError("InternalError", `${where}: unknown sealed data format`);
      const [iv, tag, body] = parts.map((p) => Buffer.from(p, "base64"));
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, iv);
        decipher.setAAD(boundTo(stored));
        decipher.setAuthTag(tag);
        const json = Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
        const { [SEALED]: _sealed, ...rest } = stored;
        return { ...(rest as KubeObject), data: JSON.parse(json) as Record<string, string> };
      } catch {
        throw new ApiError("InternalError", `${where} cannot be decrypted: wrong secret key or damaged data`);
      }
    },
  };
}

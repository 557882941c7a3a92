// A self-signed certificate for tests, made with the openssl CLI (argument array, no shell).
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

export async function selfSignedCert(dir: string, host = "127.0.0.1"): Promise<{ cert: string; key: string }> {
  const cert = join(dir, "tls.crt");
  const key = join(dir, "tls.key");
  await promisify(execFile)(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", `/CN=${host}`, "-addext", `subjectAltName=IP:${host}`, "-keyout", key, "-out", cert],
    { timeout: 20_000 },
  );
  return { cert: await readFile(cert, "utf8"), key: await readFile(key, "utf8") };
}

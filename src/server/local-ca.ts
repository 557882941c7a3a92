// The local certificate authority `serve` creates on first start (as k3s does), so kubectl can speak TLS to the
// Kubernetes listener without any setup: client-go never sends a bearer token over plain HTTP. Keys are made
// with Node's crypto; Node cannot sign certificates, so `openssl` does that (argument arrays, no shell).
import { spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes, X509Certificate } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";

export interface ServingCertificate {
  /** PEM of the CA that signed `cert` (what a kubeconfig's certificate-authority-data holds). */
  ca: string;
  cert: string;
  key: string;
}

const OPENSSL_TIMEOUT_MS = 20_000;
const CA_DAYS = "3650";
const SERVING_DAYS = "825";
/** A serving certificate this close to expiry is reissued at start. */
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

/** The names a serving certificate for `host` must cover: loopback always, plus the listen host itself. */
export function subjectAltNames(host: string): string[] {
  const names = new Set(["DNS:localhost", "IP:127.0.0.1", "IP:::1"]);
  if (host !== "" && host !== "0.0.0.0" && host !== "::") names.add(isIP(host) ? `IP:${host}` : `DNS:${host}`);
  return [...names];
}

/** Whether `pem` is still good for `host`: covers it and does not expire soon. Pure over the certificate. */
export function certificateFits(pem: string, host: string, now: Date): boolean {
  const cert = new X509Certificate(pem);
  if (new Date(cert.validTo).getTime() - now.getTime() < RENEW_BEFORE_MS) return false;
  return subjectAltNames(host).every((name) => {
    const [type, value] = [name.slice(0, name.indexOf(":")), name.slice(name.indexOf(":") + 1)];
    return type === "IP" ? cert.checkIP(value) !== undefined : cert.checkHost(value) !== undefined;
  });
}

/**
 * Loads <dir>/ca.{crt,key} and server.{crt,key}, creating the CA on first use and (re)issuing the serving
 * certificate when it is missing, expiring or does not cover `host`. Private keys are written 0600.
 */
export async function ensureServingCertificate(dir: string, host: string, now = new Date()): Promise<ServingCertificate> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = (name: string) => join(dir, name);
  const read = (name: string) => readFile(path(name), "utf8").catch(() => undefined);

  let [ca, caKey] = [await read("ca.crt"), await read("ca.key")];
  if (ca === undefined || caKey === undefined) {
    caKey = newKey();
    await writeFile(path("ca.key"), caKey, { mode: 0o600 });
    // biome-ignore format: one openssl option per line reads better
    ca = await openssl([
      "req", "-x509", "-new", "-key", path("ca.key"), "-sha256", "-days", CA_DAYS,
      "-subj", `/CN=landfall-ca@${Math.floor(now.getTime() / 1000)}`,
      "-addext", "basicConstraints=critical,CA:TRUE",
      "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    await writeFile(path("ca.crt"), ca, { mode: 0o644 });
  }

  const [cert, key] = [await read("server.crt"), await read("server.key")];
  if (cert !== undefined && key !== undefined && certificateFits(cert, host, now) && new X509Certificate(cert).checkIssued(new X509Certificate(ca))) {
    return { ca, cert, key };
  }
  const serverKey = newKey();
  await writeFile(path("server.key"), serverKey, { mode: 0o600 });
  // biome-ignore format: one openssl option per line reads better
  const issued = await openssl([
    "req", "-x509", "-new", "-key", path("server.key"), "-sha256", "-days", SERVING_DAYS,
    "-CA", path("ca.crt"), "-CAkey", path("ca.key"),
    "-set_serial", `0x${randomBytes(16).toString("hex")}`,
    "-subj", "/CN=landfall",
    "-addext", `subjectAltName=${subjectAltNames(host).join(",")}`,
    "-addext", "basicConstraints=critical,CA:FALSE",
    "-addext", "keyUsage=critical,digitalSignature,keyEncipherment",
    "-addext", "extendedKeyUsage=serverAuth",
  ]);
  await writeFile(path("server.crt"), issued, { mode: 0o644 });
  return { ca, cert: issued, key: serverKey };
}

const newKey = (): string => generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();

/** Runs openssl with `args`; resolves to what it printed (the certificate), rejects with its stderr. */
function openssl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("openssl", args, { stdio: ["ignore", "pipe", "pipe"], timeout: OPENSSL_TIMEOUT_MS });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += String(d);
    });
    child.stderr.on("data", (d) => {
      err += String(d);
    });
    child.on("error", (e) => reject(new Error(`cannot run openssl to create the local CA (install the openssl package): ${e.message}`)));
    child.on("close", (code) => {
      if (code === 0 && out.includes("BEGIN CERTIFICATE")) resolve(out);
      else reject(new Error(`openssl ${args.slice(0, 2).join(" ")} failed (exit ${code}): ${err.trim()}`));
    });
  });
}

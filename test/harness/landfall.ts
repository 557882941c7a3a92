// Helpers for e2e suites that drive a real `bin/landfall serve`: the CLI (apply from text), the HTTP API, polling.
import { spawn } from "node:child_process";
import type { KubeObject } from "../../src/api/meta.ts";
import { LANDFALL_BIN, type ServeProcess } from "../../src/compose/serve-process.ts";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  stdin?: string;
  /** Instead of the server's admin token / URL. */
  token?: string;
  server?: string;
  /** Extra environment, e.g. HOME or LANDFALL_DATA_DIR to keep the CLI from finding other config. */
  env?: Record<string, string>;
}

/** Runs `bin/landfall ARGS` against the server (admin token), with a 60 s limit. */
export function landfall(srv: Pick<ServeProcess, "url" | "adminToken">, args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, LANDFALL_SERVER: opts.server ?? srv.url, LANDFALL_TOKEN: opts.token ?? srv.adminToken, ...(opts.env ?? {}) };
    const child = spawn(LANDFALL_BIN, args, { env, stdio: ["pipe", "pipe", "pipe"], timeout: 60_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += String(d);
    });
    child.stderr.on("data", (d) => {
      stderr += String(d);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? "");
  });
}

/** `landfall apply -f -` of YAML text; throws with the CLI's output when it fails. */
export async function applyYaml(srv: Pick<ServeProcess, "url" | "adminToken">, yaml: string): Promise<string> {
  const r = await landfall(srv, ["apply", "-f", "-"], { stdin: yaml });
  if (r.code !== 0) throw new Error(`landfall apply failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** JSON over the HTTP API with the admin token. */
export async function api<T = KubeObject>(srv: Pick<ServeProcess, "url" | "adminToken">, path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${srv.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${srv.adminToken}`, "content-type": "application/json", ...(init.headers ?? {}) },
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export const resourcePath = (ns: string, plural: string, name?: string) => `/apis/landfall.dev/v1beta1/namespaces/${ns}/${plural}${name ? `/${name}` : ""}`;

/** Polls probe until it returns a value (not undefined), or fails with the last value seen. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

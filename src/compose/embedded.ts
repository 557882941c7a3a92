// Embedded mode: one process with a SQLite store in a data directory, the HTTP API and the controllers.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { Registry } from "prom-client";
import { type Conventions, DEFAULT_CONVENTIONS, PRESETS } from "../api/conventions.ts";
import { readPackageVersion } from "../cli/package-version.ts";
import { openAuditLog } from "../server/audit-log.ts";
import { openFileAuth } from "../server/auth.ts";
import { buildServer } from "../server/build.ts";
import { openSqliteStore } from "../store/sqlite/index.ts";
import type { ResourceStore } from "../store/types.ts";
import { lockDataDir } from "./data-dir-lock.ts";
import { checkTransport, parseListen, urlFor } from "./listen.ts";
import { landfallWiring } from "./landfall.ts";
import type { Controller, Wire } from "./wiring.ts";

export interface EmbeddedOptions {
  dataDir: string;
  /** HOST:PORT; port 0 picks a free one. */
  listen: string;
  tlsCert?: string;
  tlsKey?: string;
  insecureHttp?: boolean;
  preset?: string;
  /** Names of the controllers to run (default: all; [] runs the API alone). */
  controllers?: string[];
  /** Defaults to defaultWiring (src/compose/wiring.ts). */
  wire?: Wire;
  version?: string;
  logger?: boolean;
}

export interface Embedded {
  url: string;
  adminToken: string;
  adminTokenPath: string;
  conventions: Conventions;
  store: ResourceStore;
  server: FastifyInstance;
  close(): Promise<void>;
}

export function conventionsFor(preset: string | undefined): Conventions {
  if (preset === undefined) return DEFAULT_CONVENTIONS;
  const p = PRESETS[preset];
  if (!p) throw new Error(`--preset ${JSON.stringify(preset)} is not known; use one of ${Object.keys(PRESETS).join(", ")}`);
  return { ...DEFAULT_CONVENTIONS, ...p, managementEndpoint: p.managementEndpoint ?? DEFAULT_CONVENTIONS.managementEndpoint };
}

/** 32 random bytes kept in <dataDir>/secret.key (0600), created on first start; it seals Secrets at rest. */
export async function loadSecretKey(dataDir: string): Promise<Uint8Array> {
  const path = join(dataDir, "secret.key");
  const existing = await readFile(path, "utf8").catch(() => undefined);
  if (existing !== undefined) {
    const key = Buffer.from(existing.trim(), "hex");
    if (key.length !== 32) throw new Error(`${path} must hold 64 hex digits (32 bytes); restore it from backup — Secrets in the store are sealed with it`);
    return key;
  }
  const key = randomBytes(32);
  await writeFile(path, `${key.toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  return key;
}

async function openStoreAndAuth(dataDir: string) {
  const auth = await openFileAuth(dataDir);
  const store = await openSqliteStore({ path: join(dataDir, "landfall.db"), secretKey: await loadSecretKey(dataDir) });
  return { auth, store };
}

export async function startEmbedded(opts: EmbeddedOptions): Promise<Embedded> {
  const { host, port } = parseListen(opts.listen);
  checkTransport(host, { cert: opts.tlsCert, key: opts.tlsKey }, opts.insecureHttp ?? false);
  const conventions = conventionsFor(opts.preset);
  const https = opts.tlsCert && opts.tlsKey ? { cert: await readFile(opts.tlsCert), key: await readFile(opts.tlsKey) } : undefined;

  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  await chmod(opts.dataDir, 0o700);
  // Before anything touches the store: a second server on this data dir refuses here, naming the first.
  const lock = lockDataDir(opts.dataDir);
  const opened = await openStoreAndAuth(opts.dataDir).catch((error: unknown) => {
    lock.release();
    throw error;
  });
  const { auth, store } = opened;
  const metricsRegistry = new Registry();
  const started: Controller[] = [];
  const stopping = new AbortController();
  let server: FastifyInstance | undefined;

  const close = async () => {
    stopping.abort();
    for (const c of started.reverse()) await Promise.resolve(c.stop()).catch(() => undefined);
    await server?.close();
    await store.close();
    lock.release();
  };

  try {
    const wiring = await (opts.wire ?? landfallWiring)({ store, conventions, dataDir: opts.dataDir, metricsRegistry });
    server = buildServer({
      store,
      auth,
      audit: openAuditLog(join(opts.dataDir, "audit.log")),
      admission: wiring.admission,
      deleteHooks: wiring.deleteHooks,
      routes: wiring.routes,
      metricsRegistry,
      version: opts.version ?? (await readPackageVersion()),
      logger: opts.logger,
      https,
    });
    await server.listen({ host, port });
    const address = server.server.address();
    const url = urlFor(https ? "https" : "http", host, typeof address === "object" && address ? address.port : port);
    lock.announce(url);
    const wanted = (wiring.controllers ?? []).filter((c) => opts.controllers === undefined || opts.controllers.includes(c.name));
    const unknown = (opts.controllers ?? []).filter((n) => !(wiring.controllers ?? []).some((c) => c.name === n));
    if (unknown.length > 0) {
      throw new Error(`--controllers: unknown controller(s) ${unknown.join(", ")}; known: ${(wiring.controllers ?? []).map((c) => c.name).join(", ")}`);
    }
    for (const controller of wanted) {
      await controller.start({ store, conventions, dataDir: opts.dataDir, metricsRegistry, url, signal: stopping.signal });
      started.push(controller);
    }
    return { url, adminToken: auth.adminToken, adminTokenPath: auth.adminTokenPath, conventions, store, server, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

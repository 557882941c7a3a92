// Where the CLI finds its server and token: LANDFALL_SERVER / LANDFALL_TOKEN, then the kubeconfig-like
// ~/.config/landfall/config.yaml, then <data-dir>/admin.token of a local server.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";

export const DEFAULT_SERVER = "http://127.0.0.1:7780";

export interface ClientConfig {
  server: string;
  token?: string;
  /** Where the token came from, for error messages. */
  tokenSource?: string;
}

export interface ConfigFile {
  "current-context"?: string;
  contexts?: Array<{ name: string; server?: string; token?: string; context?: { server?: string; token?: string } }>;
}

export const defaultDataDir = (env: NodeJS.ProcessEnv = process.env, home = homedir()): string =>
  env.LANDFALL_DATA_DIR || join(env.XDG_DATA_HOME || join(home, ".local", "share"), "landfall");

export const configFilePath = (env: NodeJS.ProcessEnv = process.env, home = homedir()): string =>
  env.LANDFALL_CONFIG || join(env.XDG_CONFIG_HOME || join(home, ".config"), "landfall", "config.yaml");

/** The current context's server and token from a parsed config file. */
export function contextFrom(file: ConfigFile | undefined, path: string): { server?: string; token?: string } {
  if (!file || typeof file !== "object") return {};
  const name = file["current-context"];
  const contexts = Array.isArray(file.contexts) ? file.contexts : [];
  const ctx = name ? contexts.find((c) => c?.name === name) : contexts[0];
  if (name && !ctx) throw new Error(`${path}: current-context "${name}" is not among its contexts (${contexts.map((c) => c?.name).join(", ") || "none"})`);
  if (!ctx) return {};
  return { server: ctx.context?.server ?? ctx.server, token: ctx.context?.token ?? ctx.token };
}

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

export function resolveClientConfig(env: NodeJS.ProcessEnv = process.env, home = homedir()): ClientConfig {
  const path = configFilePath(env, home);
  const text = readText(path);
  let fromFile: { server?: string; token?: string } = {};
  if (text !== undefined) {
    try {
      fromFile = contextFrom(parse(text) as ConfigFile, path);
    } catch (err) {
      throw new Error(`${path} cannot be read as a landfall config: ${(err as Error).message}`);
    }
  }
  const server = (env.LANDFALL_SERVER || fromFile.server || DEFAULT_SERVER).replace(/\/+$/, "");
  if (env.LANDFALL_TOKEN) return { server, token: env.LANDFALL_TOKEN, tokenSource: "LANDFALL_TOKEN" };
  if (fromFile.token) return { server, token: fromFile.token, tokenSource: path };
  const tokenPath = join(defaultDataDir(env, home), "admin.token");
  const adminToken = readText(tokenPath)?.trim();
  if (adminToken) return { server, token: adminToken, tokenSource: tokenPath };
  return { server };
}

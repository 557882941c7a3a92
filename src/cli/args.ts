// Pure parsing of CLI arguments: kinds and names, --for conditions, durations, simple JSONPath.
import { notADuration, parseDurationMs } from "../api/duration.ts";
import { findKind, type KindInfo, knownKindNames } from "../api/kinds.ts";

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export function resolveKind(name: string): KindInfo {
  const info = findKind(name);
  if (!info) throw new UsageError(`unknown kind "${name}"; known kinds: ${knownKindNames()}`);
  return info;
}

/** `KIND NAME`, `KIND/NAME` or `KIND` alone. */
export function parseKindAndName(kindArg: string, nameArg?: string): { info: KindInfo; name?: string } {
  const slash = kindArg.indexOf("/");
  if (slash >= 0) {
    if (nameArg !== undefined) throw new UsageError(`give either "${kindArg}" or a kind and a name, not both ("${nameArg}")`);
    const name = kindArg.slice(slash + 1);
    if (!name) throw new UsageError(`"${kindArg}" has no name after the '/'`);
    return { info: resolveKind(kindArg.slice(0, slash)), name };
  }
  return { info: resolveKind(kindArg), name: nameArg };
}

/** A duration flag: the API's grammar ("90s", "5m", "1h30m", "250ms"), or plain seconds. */
export function parseDuration(flag: string, value: string): number {
  const v = value.trim();
  const ms = /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : parseDurationMs(v);
  if (ms === undefined) throw new UsageError(notADuration(flag, value));
  return ms;
}

export type WaitFor =
  | { kind: "condition"; type: string; status: string }
  | { kind: "jsonpath"; path: string[]; expression: string; value?: string }
  | { kind: "delete" };

/** `condition=Ready`, `condition=Ready=False`, `jsonpath='{.status.phase}'=Succeeded`, `delete`. */
export function parseWaitFor(value: string): WaitFor {
  if (value === "delete") return { kind: "delete" };
  const cond = /^condition=([A-Za-z0-9_.-]+)(?:=(True|False|Unknown|true|false|unknown))?$/.exec(value);
  if (cond) {
    const status = cond[2] ? cond[2][0].toUpperCase() + cond[2].slice(1).toLowerCase() : "True";
    return { kind: "condition", type: cond[1], status };
  }
  const jp = /^jsonpath=(['"]?)(\{[^}]*\})\1(?:=(.*))?$/.exec(value);
  if (jp) return { kind: "jsonpath", path: parseJsonPath(jp[2]), expression: jp[2], value: jp[3] };
  throw new UsageError(`--for "${value}" is not supported; use condition=TYPE[=STATUS], jsonpath='{.path}'=VALUE or delete`);
}

/** "{.status.phase}" / "{.status.disks[0].sha256}" → ["status", "phase"] / ["status", "disks", "0", "sha256"]. */
export function parseJsonPath(expr: string): string[] {
  const m = /^\{\s*\.?(.*?)\s*\}$/.exec(expr.trim());
  if (!m) throw new UsageError(`JSONPath "${expr}" must look like {.status.phase}`);
  if (m[1] === "") return [];
  const parts: string[] = [];
  for (const seg of m[1].split(".")) {
    const s = /^([^[\]]+)((?:\[\d+\])*)$/.exec(seg);
    if (!s) throw new UsageError(`JSONPath "${expr}": segment "${seg}" is not supported; use .field and [index]`);
    parts.push(s[1], ...[...s[2].matchAll(/\[(\d+)\]/g)].map((x) => x[1]));
  }
  return parts;
}

export function valueAtPath(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

export const OUTPUT_FORMATS = ["table", "wide", "json", "yaml", "name"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function parseOutput(value: string | undefined): OutputFormat {
  const v = value ?? "table";
  if ((OUTPUT_FORMATS as readonly string[]).includes(v)) return v as OutputFormat;
  throw new UsageError(`-o ${JSON.stringify(v)} is not supported; use one of ${OUTPUT_FORMATS.join(", ")}`);
}

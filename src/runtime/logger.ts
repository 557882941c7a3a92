// A tiny leveled logger: one line per entry on stderr, JSON (default, for machines) or text (for people).
// Level from LANDFALL_LOG_LEVEL, format from LANDFALL_LOG_FORMAT. Fields pass through redact(): Secret data
// and credential-looking fields never reach a log line.

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
export type LogFields = Record<string, unknown>;

export interface Logger {
  readonly level: LogLevel;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds these fields to every line (e.g. controller name, key). */
  child(bindings: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: "json" | "text";
  /** Where lines go (without trailing newline handling: the logger adds "\n"). Default: process.stderr. */
  write?: (line: string) => void;
  bindings?: LogFields;
  now?: () => Date;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function parseLogLevel(value: string | undefined, fallback: LogLevel = "info"): LogLevel {
  const v = value?.trim().toLowerCase();
  if (v && v in RANK) return v as LogLevel;
  return fallback;
}

export const REDACTED = "[REDACTED]";
/** Field names whose values are credentials wherever they appear. */
const SECRET_FIELD = /^(password|passwd|token|bearer|authorization|cookie|stringData|privateKey|secretKey|apiKey|accessKey)$/i;

/**
 * A copy of value safe to log: a Secret's data/stringData and credential-named fields are replaced,
 * Errors become {name, message, reason}, cycles and depth are bounded.
 */
export function redact(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (value === null || typeof value !== "object") {
    return typeof value === "bigint" ? value.toString() : value;
  }
  if (value instanceof Error) {
    const out: LogFields = { name: value.name, message: value.message };
    const reason = (value as { reason?: unknown }).reason;
    if (typeof reason === "string") out.reason = reason;
    return out;
  }
  if (value instanceof Date) return value.toISOString();
  if (seen.has(value) || depth > 8) return "[…]";
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, seen));
  const isSecret = (value as { kind?: unknown }).kind === "Secret";
  const out: LogFields = {};
  for (const [k, v] of Object.entries(value)) {
    if (SECRET_FIELD.test(k) || (isSecret && k === "data")) out[k] = REDACTED;
    else out[k] = redact(v, depth + 1, seen);
  }
  return out;
}

function textValue(v: unknown): string {
  if (typeof v === "string") return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

class LineLogger implements Logger {
  readonly level: LogLevel;
  readonly #format: "json" | "text";
  readonly #write: (line: string) => void;
  readonly #bindings: LogFields;
  readonly #now: () => Date;

  constructor(opts: Required<LoggerOptions>) {
    this.level = opts.level;
    this.#format = opts.format;
    this.#write = opts.write;
    this.#bindings = opts.bindings;
    this.#now = opts.now;
  }

  debug(msg: string, fields?: LogFields): void {
    this.#log("debug", msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.#log("info", msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.#log("warn", msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.#log("error", msg, fields);
  }

  child(bindings: LogFields): Logger {
    return new LineLogger({
      level: this.level,
      format: this.#format,
      write: this.#write,
      bindings: { ...this.#bindings, ...bindings },
      now: this.#now,
    });
  }

  #log(level: Exclude<LogLevel, "silent">, msg: string, fields?: LogFields): void {
    if (RANK[level] < RANK[this.level]) return;
    const body = redact({ ...this.#bindings, ...fields }) as LogFields;
    const time = this.#now().toISOString();
    if (this.#format === "json") {
      this.#write(JSON.stringify({ time, level, msg, ...body }));
      return;
    }
    // As in JSON, a field without a value is left out (an event's object recorded without its uid).
    const rest = Object.entries(body)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${textValue(v)}`)
      .join(" ");
    this.#write(`${time} ${level.toUpperCase().padEnd(5)} ${msg}${rest ? ` ${rest}` : ""}`);
  }
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return new LineLogger({
    level: opts.level ?? parseLogLevel(process.env.LANDFALL_LOG_LEVEL),
    format: opts.format ?? (process.env.LANDFALL_LOG_FORMAT === "text" ? "text" : "json"),
    write: opts.write ?? ((line) => process.stderr.write(`${line}\n`)),
    bindings: opts.bindings ?? {},
    now: opts.now ?? (() => new Date()),
  });
}

/** Discards everything; the default where a logger is optional. */
export const silentLogger: Logger = createLogger({ level: "silent", write: () => {} });

// Durations as people write them, Go/kubectl style: "90s", "15m", "720h", "1h30m", "250ms". One grammar for the
// API's query parameters and bodies, the CLI's flags and spec fields; each caller refuses a bad value in its own
// error type, with notADuration's words naming its field or flag.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The milliseconds text says: one or more <number><ms|s|m|h>, nothing else; undefined when it is not that. */
export function parseDurationMs(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    consumed = re.lastIndex;
  }
  return consumed > 0 && consumed === text.length ? total : undefined;
}

/** Why value, given for field (a field path or a CLI flag), was refused. */
export const notADuration = (field: string, value: string): string => `${field} ${JSON.stringify(value)} is not a duration; use e.g. 90s, 15m, 24h or 1h30m`;

// Human-readable sizes, rates and times for tables.
const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return "—";
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${UNITS[u]}`;
}

export const formatMemory = (mib: number | undefined): string => (mib === undefined ? "—" : formatBytes(mib * 1024 * 1024));

export function formatTime(iso: string | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** `sha256:abcdef…` shortened for a table cell; the full value goes in a tooltip/title. */
export const shortChecksum = (sum: string | undefined): string => (sum ? (sum.length > 23 ? `${sum.slice(0, 19)}…${sum.slice(-4)}` : sum) : "—");

// A minimal YAML writer for the review step: plain objects, arrays, strings, numbers and booleans (what a
// landfall object is made of). Strings are quoted whenever YAML could read them as anything but that string.
type Value = string | number | boolean | null | undefined | Value[] | { [key: string]: Value };

const PLAIN = /^[A-Za-z_/][-A-Za-z0-9_./]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

function scalar(v: string | number | boolean | null): string {
  if (v === null) return "null";
  if (typeof v !== "string") return String(v);
  return PLAIN.test(v) && !RESERVED.test(v) ? v : JSON.stringify(v);
}

function lines(value: Value, indent: string): string[] {
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${indent}[]`];
    return value.flatMap((item) => {
      const inner = lines(item, `${indent}  `);
      return isComposite(item) && !isEmpty(item) ? [`${indent}- ${inner[0].trimStart()}`, ...inner.slice(1)] : [`${indent}- ${inner[0].trimStart()}`];
    });
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return [`${indent}{}`];
    return entries.flatMap(([k, v]) => (isComposite(v) && !isEmpty(v) ? [`${indent}${scalar(k)}:`, ...lines(v, `${indent}  `)] : [`${indent}${scalar(k)}: ${lines(v, "")[0]}`]));
  }
  return [`${indent}${scalar(value ?? null)}`];
}

const isComposite = (v: Value): boolean => v !== null && typeof v === "object";
const isEmpty = (v: Value): boolean => (Array.isArray(v) ? v.length === 0 : v !== null && typeof v === "object" && Object.keys(v).length === 0);

export const toYaml = (value: unknown): string => `${lines(value as Value, "").join("\n")}\n`;

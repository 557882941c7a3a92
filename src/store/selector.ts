// Kubernetes label selectors (`a=b,c!=d,e,!f,g in (x,y),h notin (z)`): parsed once, matched many times.
// Pure; both the sqlite store and the server's list/watch filtering use it.
import { ApiError } from "../api/errors.ts";

export type LabelRequirement =
  | { key: string; operator: "Exists" | "DoesNotExist" }
  | { key: string; operator: "In" | "NotIn"; values: string[] };

export type Labels = Readonly<Record<string, string>> | undefined;
export type LabelMatcher = (labels: Labels) => boolean;

const KEY = "(?:[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?";
const VALUE = "(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?";
const EXISTS = new RegExp(`^(${KEY})$`);
const NOT_EXISTS = new RegExp(`^!\\s*(${KEY})$`);
const EQUALITY = new RegExp(`^(${KEY})\\s*(==|!=|=)\\s*(${VALUE})$`);
const SET = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\((.*)\\)$`);
const VALUE_ONLY = new RegExp(`^${VALUE}$`);
const MAX_NAME = 63;

function badSelector(selector: string, why: string): ApiError {
  return new ApiError(
    "BadRequest",
    `invalid label selector "${selector}": ${why}; write requirements like "app=web,tier in (a,b),!legacy"`,
  );
}

/** Splits at commas that are not inside a parenthesised value set. */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
    if (depth < 0 || depth > 1) throw badSelector(selector, `unbalanced parentheses at position ${i}`);
  }
  if (depth !== 0) throw badSelector(selector, "unclosed parenthesis");
  parts.push(selector.slice(start));
  return parts.map((p) => p.trim());
}

function checkKey(selector: string, key: string): string {
  const name = key.includes("/") ? key.slice(key.indexOf("/") + 1) : key;
  if (name.length > MAX_NAME) throw badSelector(selector, `label key "${key}" has a name longer than ${MAX_NAME}`);
  return key;
}

function checkValue(selector: string, value: string): string {
  if (value.length > MAX_NAME || !VALUE_ONLY.test(value)) {
    throw badSelector(selector, `"${value}" is not a valid label value (alphanumerics, '-', '_', '.', at most ${MAX_NAME})`);
  }
  return value;
}

function parseRequirement(selector: string, text: string): LabelRequirement {
  if (text === "") throw badSelector(selector, "empty requirement between commas");
  let m = NOT_EXISTS.exec(text);
  if (m) return { key: checkKey(selector, m[1]), operator: "DoesNotExist" };
  m = SET.exec(text);
  if (m) {
    const values = m[3].split(",").map((v) => v.trim());
    if (values.length === 1 && values[0] === "") throw badSelector(selector, `"${m[2]}" needs at least one value`);
    return {
      key: checkKey(selector, m[1]),
      operator: m[2] === "in" ? "In" : "NotIn",
      values: values.map((v) => checkValue(selector, v)),
    };
  }
  m = EQUALITY.exec(text);
  if (m) {
    return { key: checkKey(selector, m[1]), operator: m[2] === "!=" ? "NotIn" : "In", values: [checkValue(selector, m[3])] };
  }
  m = EXISTS.exec(text);
  if (m) return { key: checkKey(selector, m[1]), operator: "Exists" };
  throw badSelector(selector, `cannot parse requirement "${text}"`);
}

/** Parses a selector; an empty or blank selector has no requirements (matches everything). */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  if (selector.trim() === "") return [];
  return splitRequirements(selector).map((part) => parseRequirement(selector, part));
}

export function requirementMatches(req: LabelRequirement, labels: Labels): boolean {
  const value = labels !== undefined && Object.hasOwn(labels, req.key) ? labels[req.key] : undefined;
  switch (req.operator) {
    case "Exists":
      return value !== undefined;
    case "DoesNotExist":
      return value === undefined;
    case "In":
      return value !== undefined && req.values.includes(value);
    case "NotIn":
      // Kubernetes: `a!=b` and `a notin (b)` also match objects without label a.
      return value === undefined || !req.values.includes(value);
  }
}

/** A matcher for `selector` (undefined or blank: everything). Throws ApiError BadRequest on bad syntax. */
export function labelSelectorMatcher(selector: string | undefined): LabelMatcher {
  const reqs = selector === undefined ? [] : parseLabelSelector(selector);
  if (reqs.length === 0) return () => true;
  return (labels) => reqs.every((r) => requirementMatches(r, labels));
}

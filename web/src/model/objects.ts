// Pure reading of resource metadata. Labels and annotations carry a configurable prefix (`landfall.dev`, or
// `cozystack.io` with the Cozystack preset); the dashboard recognises both.
export const PREFIXES = ["landfall.dev", "cozystack.io"] as const;

export interface Meta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Named {
  metadata: Meta;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** The value of `<prefix>/<key>` in a label or annotation map, whichever known prefix carries it. */
export function prefixed(map: Record<string, string> | undefined, key: string): string | undefined {
  if (!map) return undefined;
  for (const p of PREFIXES) {
    const v = map[`${p}/${key}`];
    if (v !== undefined) return v;
  }
  return undefined;
}

export const labelValue = (obj: Named, key: string): string | undefined => prefixed(obj.metadata.labels, key);
export const annotationValue = (obj: Named, key: string): string | undefined => prefixed(obj.metadata.annotations, key);

export const objectKey = (obj: Named): string => `${obj.metadata.namespace ?? "default"}/${obj.metadata.name}`;

export const findCondition = (conditions: Condition[] | undefined, type: string): Condition | undefined => conditions?.find((c) => c.type === type);

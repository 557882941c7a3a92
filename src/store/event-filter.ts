// How a stored event looks through a label-selector watch: an object that starts matching is ADDED, one that
// stops matching is DELETED (as the Kubernetes watch cache reports it), otherwise the event passes unchanged.
import type { LabelMatcher, Labels } from "./selector.ts";
import type { WatchEventType } from "./types.ts";

export function eventThroughSelector(
  type: WatchEventType,
  labels: Labels,
  previousLabels: Labels,
  matches: LabelMatcher,
): WatchEventType | undefined {
  const now = matches(labels);
  if (type !== "MODIFIED") return now ? type : undefined;
  const before = matches(previousLabels);
  if (now && before) return "MODIFIED";
  if (now) return "ADDED";
  if (before) return "DELETED";
  return undefined;
}

// QueryChangedDiskAreas replies, read without a tree of their areas. A reply lists every area that changed (or, for
// changeId "*", holds data) in the stretch of the disk it describes — ESXi describes up to ~2 TB per call — so its
// length is set by how scattered the guest's writes were: tens of thousands of `changedArea` elements on a busy
// disk. The general parser (fast-xml-parser, soap-xml.ts) took ~100 ms and ~20 MiB of transient memory per 5,120 of
// them (bench/RESULTS.md, eighth round). Here one scan takes the areas; the rest of the reply, without them, goes
// through the general parser, so a fault, the envelope and startOffset/length are read as in every other reply. An
// area element of any other shape is refused, never skipped: a lost area would be a hole where the disk holds data.
import type { ChangedArea } from "../contract.ts";
import { num, parseSoapResponse } from "./soap-xml.ts";

const NS = String.raw`(?:[\w.-]+:)?`;
/** `<changedArea [attributes]><start>N</start><length>N</length></changedArea>`, with or without a namespace prefix. */
const AREA = new RegExp(String.raw`<${NS}changedArea(?:\s[^>]*)?>\s*<${NS}start>\s*(\d+)\s*</${NS}start>\s*<${NS}length>\s*(\d+)\s*</${NS}length>\s*</${NS}changedArea>`, "g");
/** Any opening `changedArea` tag: one left after the scan has a shape the scan does not read. */
const AREA_TAG = new RegExp(String.raw`<${NS}changedArea[\s>/]`);

export interface DiskChangeInfo {
  /** The stretch of the disk the reply describes. */
  startOffset: number;
  length: number;
  /** The areas in it, in the reply's order. */
  areas: ChangedArea[];
}

/** Reads one QueryChangedDiskAreas reply; a SOAP fault throws its VsphereFault (parseSoapResponse). Pure. */
export function parseDiskChangeInfo(xml: string): DiskChangeInfo {
  const areas: ChangedArea[] = [];
  const rest = xml.replace(AREA, (_element, start: string, length: string) => {
    areas.push({ start: Number(start), length: Number(length) });
    return "";
  });
  const unread = AREA_TAG.exec(rest);
  if (unread) {
    throw new Error(`vSphere QueryChangedDiskAreas: a changedArea element of a shape landfall does not read: ${rest.slice(unread.index, unread.index + 200)}`);
  }
  const info = parseSoapResponse("QueryChangedDiskAreas", rest);
  return { startOffset: num(info?.startOffset), length: num(info?.length), areas };
}

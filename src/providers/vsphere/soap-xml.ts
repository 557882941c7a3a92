// SOAP envelopes for the vSphere API (vim25): building requests and reading responses. Pure, no I/O.
// vSphere's schema is sequence-ordered, so callers pass request fields as objects whose key order is the WSDL's.
import { XMLParser } from "fast-xml-parser";
import { VsphereFault } from "./errors.ts";

/** A managed object reference, serialised as `<name type="Type">value</name>`. */
export interface MoRef {
  readonly type: string;
  readonly value: string;
}

export function moRef(type: string, value: string): MoRef {
  return { type, value };
}

/** A data object whose declared type is a base type: serialised with `xsi:type`. */
export interface Typed {
  readonly xsiType: string;
  readonly fields: SoapObject;
}

export function typed(xsiType: string, fields: SoapObject): Typed {
  return { xsiType, fields };
}

export type SoapValue = string | number | boolean | MoRef | Typed | SoapObject | SoapValue[] | undefined;
export interface SoapObject {
  [field: string]: SoapValue;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function isMoRef(v: SoapValue): v is MoRef {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 2 && "type" in v && "value" in v;
}

function isTyped(v: SoapValue): v is Typed {
  return typeof v === "object" && v !== null && !Array.isArray(v) && "xsiType" in v && "fields" in v;
}

function element(name: string, value: SoapValue): string {
  if (value === undefined) return "";
  if (Array.isArray(value)) return value.map((v) => element(name, v)).join("");
  if (typeof value !== "object") return `<${name}>${escapeXml(String(value))}</${name}>`;
  if (isMoRef(value)) return `<${name} type="${escapeXml(value.type)}">${escapeXml(value.value)}</${name}>`;
  if (isTyped(value)) return `<${name} xsi:type="${escapeXml(value.xsiType)}">${fields(value.fields)}</${name}>`;
  return `<${name}>${fields(value)}</${name}>`;
}

function fields(obj: SoapObject): string {
  return Object.entries(obj)
    .map(([k, v]) => element(k, v))
    .join("");
}

/** The envelope for calling `method` on the managed object `self` with the given arguments. */
export function soapRequest(method: string, self: MoRef, args: SoapObject = {}): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    `<soapenv:Body><${method} xmlns="urn:vim25">${element("_this", self)}${fields(args)}</${method}></soapenv:Body>` +
    "</soapenv:Envelope>"
  );
}

/** Parsed XML: elements become objects, repeated elements arrays, attributes `@_name` (xsi:type → `@_type`). */
// biome-ignore lint/suspicious/noExplicitAny: parsed XML is untyped by nature; callers read it through the accessors below.
export type XmlNode = any;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  removeNSPrefix: true,
  // Values stay strings: MACs, UUIDs and keys must not be coerced into numbers.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

/**
 * The body of a SOAP response: the `returnval` of `<MethodResponse>`, or throws a VsphereFault for a
 * `soapenv:Fault` (HTTP 500 in vSphere).
 */
export function parseSoapResponse(method: string, xml: string): XmlNode {
  const doc = parser.parse(xml);
  const body = doc?.Envelope?.Body;
  if (body === undefined) throw new Error(`vSphere ${method}: response is not a SOAP envelope: ${xml.slice(0, 200)}`);
  if (body.Fault !== undefined) throw faultFrom(method, body.Fault);
  const response = body[`${method}Response`];
  if (response === undefined) throw new Error(`vSphere ${method}: response lacks ${method}Response`);
  return typeof response === "object" ? response.returnval : undefined;
}

function faultFrom(method: string, fault: XmlNode): VsphereFault {
  const detail = fault.detail ?? {};
  // The detail holds one element, e.g. <InvalidLoginFault xsi:type="InvalidLogin"/>.
  const entry: [string, XmlNode] | undefined = Object.entries(detail).find(([k]) => !k.startsWith("@_"));
  const [detailName, detailValue] = entry ?? ["", undefined];
  let faultType = xsiType(detailValue);
  if (!faultType && detailName) faultType = detailName.replace(/Fault$/, "");
  const message = text(fault.faultstring) || faultType || "unknown fault";
  return new VsphereFault(method, faultType || "SystemError", message, detailValue);
}

/** Text content of a node that may carry attributes (`{"#text": …, "@_type": …}`). */
export function text(node: XmlNode): string {
  if (node === undefined || node === null) return "";
  if (typeof node === "object") return node["#text"] === undefined ? "" : String(node["#text"]);
  return String(node);
}

export function asArray(node: XmlNode): XmlNode[] {
  if (node === undefined || node === null || node === "") return [];
  return Array.isArray(node) ? node : [node];
}

export function num(node: XmlNode): number {
  const t = text(node);
  return t === "" ? 0 : Number(t);
}

export function bool(node: XmlNode): boolean {
  return text(node) === "true";
}

export function moRefOf(node: XmlNode): MoRef {
  return { type: typeof node === "object" ? String(node["@_type"] ?? "") : "", value: text(node) };
}

/** The xsi:type of a node (e.g. "VirtualDisk" for a device). */
export function xsiType(node: XmlNode): string {
  return typeof node === "object" && node !== null ? String(node["@_type"] ?? "") : "";
}

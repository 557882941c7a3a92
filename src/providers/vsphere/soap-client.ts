// A thin, typed vSphere SOAP client: one HTTPS dispatcher with landfall's TLS trust, the session cookie,
// ServiceContent, Login/Logout. Property retrieval and tasks build on `call` in their own files.
import { SourceProviderError, VsphereFault } from "./errors.ts";
import { bodyText, send } from "./http-request.ts";
import { type MoRef, moRef, moRefOf, parseSoapResponse, type SoapObject, soapRequest, text, type XmlNode } from "./soap-xml.ts";
import { RangeClient } from "./range-client.ts";
import { createTrustedDispatcher, type TlsOptions, type TrustedDispatcher } from "./tls-trust.ts";

export interface ServiceContent {
  rootFolder: MoRef;
  propertyCollector: MoRef;
  viewManager: MoRef;
  sessionManager: MoRef;
  about: { fullName: string; apiVersion: string; instanceUuid: string };
}

export interface ClientOptions {
  /** URL of the SDK endpoint, e.g. https://vcenter.example.com/sdk (a bare host gets /sdk). */
  endpoint: string;
  tls?: TlsOptions;
  /** Per SOAP call, from sending to the last byte of the answer. */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
}

const SESSION_COOKIE = "vmware_soap_session";
// Every vCenter/ESXi from 6.7 on accepts this namespace version; newer servers answer in kind.
const SOAP_ACTION = "urn:vim25/6.7";

/** Normalises an endpoint to its /sdk URL; throws naming the value when it is not an http(s) URL. */
export function sdkUrl(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint.includes("://") ? endpoint : `https://${endpoint}`);
  } catch {
    throw new SourceProviderError("SourceError", `endpoint "${endpoint}" is not a URL; write it as https://vcenter.example.com/sdk`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new SourceProviderError("SourceError", `endpoint "${endpoint}" must use https://`);
  }
  if (url.pathname === "/" || url.pathname === "") url.pathname = "/sdk";
  url.username = "";
  url.password = "";
  return url;
}

/** The `name=value` of the vSphere session cookie in Set-Cookie header(s), quotes kept as the server sent them. */
export function sessionCookieFrom(header: string | string[] | undefined): string | undefined {
  for (const line of header === undefined ? [] : Array.isArray(header) ? header : [header]) {
    const match = new RegExp(`(?:^|;\\s*)(${SESSION_COOKIE}=[^;]*)`).exec(line);
    if (match) return match[1].trim();
  }
  return undefined;
}

export class VsphereClient {
  readonly url: URL;
  readonly trust: TrustedDispatcher;
  /** The data path's ranged reads (range-client.ts), over connections trusted as the agent's are. */
  readonly ranges: RangeClient;
  private readonly requestTimeoutMs: number;
  private cookie: string | undefined;
  private content: ServiceContent | undefined;

  constructor(options: ClientOptions) {
    this.url = sdkUrl(options.endpoint);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 120_000;
    this.trust = createTrustedDispatcher(options.tls ?? {}, { connectMs: options.connectTimeoutMs ?? 10_000 });
    this.ranges = new RangeClient(this.url.host, this.trust.connectOnread(this.url));
  }

  /** `Cookie` header value carrying the session, for the datastore file API. */
  sessionCookieHeader(): string | undefined {
    return this.cookie;
  }

  hasSession(): boolean {
    return this.cookie !== undefined;
  }

  /** Calls `method` on `self`; returns the parsed `returnval`, throws VsphereFault on a SOAP fault. */
  async call(method: string, self: MoRef, args: SoapObject = {}, signal?: AbortSignal): Promise<XmlNode> {
    return parseSoapResponse(method, await this.callText(method, self, args, signal));
  }

  /** Calls `method` on `self`; returns the reply's envelope unread (a fault's too), for a caller that reads it its own way. */
  async callText(method: string, self: MoRef, args: SoapObject = {}, signal?: AbortSignal): Promise<string> {
    const headers: Record<string, string> = { "content-type": "text/xml; charset=utf-8", soapaction: SOAP_ACTION };
    if (this.cookie) headers.cookie = this.cookie;
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    const response = await send(this.url, {
      method: "POST",
      headers,
      body: soapRequest(method, self, args),
      agent: this.trust.agentFor(this.url),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    this.cookie = sessionCookieFrom(response.headers["set-cookie"]) ?? this.cookie;
    const body = await bodyText(response.body);
    if (response.statusCode !== 200 && response.statusCode !== 500) {
      throw new SourceProviderError(
        "SourceError",
        `vSphere ${method}: HTTP ${response.statusCode} from ${this.url.origin}${this.url.pathname}: ${body.slice(0, 200)}`,
      );
    }
    return body;
  }

  async serviceContent(signal?: AbortSignal): Promise<ServiceContent> {
    if (this.content) return this.content;
    const r = await this.call("RetrieveServiceContent", moRef("ServiceInstance", "ServiceInstance"), {}, signal);
    this.content = {
      rootFolder: moRefOf(r.rootFolder),
      propertyCollector: moRefOf(r.propertyCollector),
      viewManager: moRefOf(r.viewManager),
      sessionManager: moRefOf(r.sessionManager),
      about: {
        fullName: text(r.about?.fullName),
        apiVersion: text(r.about?.apiVersion),
        instanceUuid: text(r.about?.instanceUuid),
      },
    };
    return this.content;
  }

  /** Logs in; the password goes into the request body only and never into errors. */
  async login(username: string, password: string, signal?: AbortSignal): Promise<void> {
    const sc = await this.serviceContent(signal);
    this.cookie = undefined;
    try {
      await this.call("Login", sc.sessionManager, { userName: username, password }, signal);
    } catch (err) {
      if (err instanceof VsphereFault && err.faultType === "InvalidLogin") {
        throw new SourceProviderError(
          "InvalidCredentials",
          `vSphere login as "${username}" at ${this.url.origin} was rejected: check the credentials Secret`,
        );
      }
      throw err;
    }
  }

  async logout(): Promise<void> {
    if (!this.cookie || !this.content) return;
    try {
      await this.call("Logout", this.content.sessionManager);
    } finally {
      this.cookie = undefined;
    }
  }

  async close(): Promise<void> {
    try {
      await this.logout();
    } catch {
      // The session expires on its own; closing must not fail because the server is gone.
    }
    this.ranges.close();
    this.trust.close();
  }
}

// Which libvirt connection URIs a Provider may name. A libvirt URI is code, not just an address: `qemu+ext://`
// runs `?command=`, `?socket=`/`?netcat=`/`?proxy=` choose what the SSH transport runs or connects to, and
// `qemu:///embed?root=` starts a private QEMU driver on any directory. So the rule is an allow-list, checked by
// the API (422 naming spec.uri) and again by the libvirt provider before it runs virsh — this one function.
//
// libvirt splits parameters on both '&' and ';', matches their names case-insensitively and percent-decodes
// them (virURIParseParams): the parser below does the same, so `?no_verify=1;command=x` or `?comm%61nd=x`
// cannot slip past it.

export const ALLOWED_LIBVIRT_URIS = "qemu:///system, qemu:///session, qemu+ssh://[user@]host[:port]/system|session, qemu+tls://host[:port]/system|session or test:///default";

/** Parameters that only configure how the SSH/TLS transport authenticates (libvirt's remote URI docs). */
const ALLOWED_PARAMS = new Set(["name", "no_verify", "no_tty", "pkipath", "keyfile", "known_hosts", "known_hosts_verify", "sshauth", "tls_priority"]);

/** `name` selects the URI the remote daemon opens: only the plain local QEMU drivers. */
const ALLOWED_REMOTE_NAMES = new Set(["qemu:///system", "qemu:///session"]);

const URI_RE = /^(qemu|qemu\+ssh|qemu\+tls|test):\/\/([^/?#]*)(\/[^?#]*)(?:\?([^#]*))?$/;
// A host never starts with '-' (ssh would take it for an option) and holds no shell or URI syntax.
const HOST_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])$/;
const USER_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** Why `uri` may not be used as a libvirt Provider's spec.uri; undefined when it may. Pure. */
export function libvirtURIProblem(uri: string): string | undefined {
  const refuse = (why: string) => `${JSON.stringify(uri)} ${why}; allowed: ${ALLOWED_LIBVIRT_URIS}`;
  const m = URI_RE.exec(uri);
  if (!m) return refuse("is not an allowed libvirt URI (scheme qemu, qemu+ssh, qemu+tls or test, no fragment)");
  const [, scheme, authority, path, query] = m;
  if (scheme === "test") {
    return authority === "" && path === "/default" && query === undefined ? undefined : refuse("is not test:///default");
  }
  if (path !== "/system" && path !== "/session") return refuse(`names driver path "${path}" (only /system or /session)`);
  if (scheme === "qemu") {
    if (authority !== "") return refuse("names a host without a transport (use qemu+ssh:// or qemu+tls://)");
    if (query !== undefined) return refuse("has parameters (a local qemu:/// URI takes none)");
    return undefined;
  }
  const authorityProblem = remoteAuthorityProblem(authority, scheme === "qemu+ssh");
  if (authorityProblem) return refuse(authorityProblem);
  for (const piece of (query ?? "").split(/[&;]/)) {
    if (piece === "") continue;
    const eq = piece.indexOf("=");
    const rawName = eq < 0 ? piece : piece.slice(0, eq);
    const rawValue = eq < 0 ? "" : piece.slice(eq + 1);
    const name = decoded(rawName)?.toLowerCase();
    const value = decoded(rawValue);
    if (name === undefined || value === undefined) return refuse(`has a badly percent-encoded parameter "${piece}"`);
    if (!ALLOWED_PARAMS.has(name)) return refuse(`has parameter "${name}", which is not allowed (allowed: ${[...ALLOWED_PARAMS].join(", ")})`);
    if (name === "name" && !ALLOWED_REMOTE_NAMES.has(value)) return refuse(`has name=${JSON.stringify(value)} (only ${[...ALLOWED_REMOTE_NAMES].join(" or ")})`);
  }
  return undefined;
}

function remoteAuthorityProblem(authority: string, userAllowed: boolean): string | undefined {
  const at = authority.lastIndexOf("@");
  const user = at < 0 ? undefined : authority.slice(0, at);
  const hostPort = at < 0 ? authority : authority.slice(at + 1);
  if (user !== undefined && (!userAllowed || !USER_RE.test(user))) return `has user "${user}", which is not allowed`;
  const portMatch = /^(.*?)(?::(\d{1,5}))?$/.exec(hostPort) as RegExpExecArray;
  const host = portMatch[1];
  if (host === "" || !HOST_RE.test(host)) return `names host "${host}", which is not a host name or IP address`;
  return undefined;
}

function decoded(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

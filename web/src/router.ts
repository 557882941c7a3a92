// A tiny path router: the server answers every non-API path with index.html (SPA fallback), so pages have
// real URLs (/virtualmachines, /migrations, …) and reloads land on the same page.
import { useEffect, useState } from "react";

export const ROUTES = [
  { path: "/overview", title: "Overview" },
  { path: "/virtualmachines", title: "Virtual machines" },
  { path: "/inventory", title: "Inventory" },
  { path: "/migrations", title: "Migrations" },
  { path: "/imported", title: "Imported VMs" },
  { path: "/imports", title: "Imports" },
  { path: "/providers", title: "Providers" },
] as const;

export type RoutePath = (typeof ROUTES)[number]["path"];

export const routeFor = (pathname: string): RoutePath => ROUTES.find((r) => r.path === pathname)?.path ?? "/overview";

/** `search` (e.g. "?vm=default/web01") selects something on the page. */
export function navigate(path: RoutePath, search = ""): void {
  if (window.location.pathname === path && window.location.search === search) return;
  window.history.pushState(null, "", `${path}${search}`);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

export function useRoute(): RoutePath {
  const [path, setPath] = useState(() => routeFor(window.location.pathname));
  useEffect(() => {
    const onPop = () => setPath(routeFor(window.location.pathname));
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  return path;
}

// The shell: masthead, left navigation, and the page for the current path (or the login page).
import {
  Button,
  Masthead,
  MastheadBrand,
  MastheadContent,
  MastheadMain,
  Nav,
  NavItem,
  NavList,
  Page,
  PageSidebar,
  PageSidebarBody,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from "@patternfly/react-core";
import type { ReactNode } from "react";
import { useSession } from "./api/session.tsx";
import { describeIdentity } from "./model/identity.ts";
import { ImportedVMsPage } from "./pages/ImportedVMs.tsx";
import { ImportsPage } from "./pages/Imports.tsx";
import { InventoryPage } from "./pages/Inventory.tsx";
import { LoginPage } from "./pages/Login.tsx";
import { MigrationsPage } from "./pages/Migrations.tsx";
import { OverviewPage } from "./pages/Overview.tsx";
import { ProvidersPage } from "./pages/Providers.tsx";
import { VirtualMachinesPage } from "./pages/VirtualMachines.tsx";
import { navigate, ROUTES, type RoutePath, useRoute } from "./router.ts";

const PAGES: Record<RoutePath, () => ReactNode> = {
  "/overview": () => <OverviewPage />,
  "/virtualmachines": () => <VirtualMachinesPage />,
  "/inventory": () => <InventoryPage />,
  "/migrations": () => <MigrationsPage />,
  "/imported": () => <ImportedVMsPage />,
  "/imports": () => <ImportsPage />,
  "/providers": () => <ProvidersPage />,
};

export function App() {
  const { client, identity, logout } = useSession();
  const route = useRoute();
  const masthead = (
    <Masthead>
      <MastheadMain>
        <MastheadBrand>
          <span style={{ fontSize: "1.25rem", fontWeight: 600, color: "var(--pf-t--global--text--color--regular)" }}>landfall</span>
        </MastheadBrand>
      </MastheadMain>
      <MastheadContent>
        <Toolbar isFullHeight>
          <ToolbarContent>
            {identity && (
              <ToolbarItem align={{ default: "alignEnd" }}>
                <span data-testid="identity">{describeIdentity(identity)}</span>
              </ToolbarItem>
            )}
            <ToolbarItem>{client && <Button variant="plain" onClick={() => logout()}>Log out</Button>}</ToolbarItem>
          </ToolbarContent>
        </Toolbar>
      </MastheadContent>
    </Masthead>
  );
  if (!client) {
    return (
      <Page masthead={masthead}>
        <LoginPage />
      </Page>
    );
  }
  const sidebar = (
    <PageSidebar>
      <PageSidebarBody>
        <Nav aria-label="Sections">
          <NavList>
            {ROUTES.map((r) => (
              <NavItem
                key={r.path}
                itemId={r.path}
                isActive={route === r.path}
                to={r.path}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(r.path);
                }}
              >
                {r.title}
              </NavItem>
            ))}
          </NavList>
        </Nav>
      </PageSidebarBody>
    </PageSidebar>
  );
  return (
    <Page masthead={masthead} sidebar={sidebar} isManagedSidebar>
      {/* key: a fresh page (and fresh watches) per section */}
      <div key={route} style={{ display: "contents" }}>
        {PAGES[route]()}
      </div>
    </Page>
  );
}

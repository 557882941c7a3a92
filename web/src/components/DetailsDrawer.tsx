// A page whose rows open their details in a drawer at the end (Inventory, Migrations, Virtual machines,
// Imported VMs): DetailsDrawer wraps the page; DetailsPanel is the panel with a title and a close button.
import { Drawer, DrawerActions, DrawerCloseButton, DrawerContent, DrawerContentBody, DrawerHead, DrawerPanelBody, DrawerPanelContent, Title } from "@patternfly/react-core";
import type { ReactNode } from "react";

/** `panel` undefined: the drawer is closed. */
export function DetailsDrawer({ panel, children }: { panel: ReactNode | undefined; children: ReactNode }) {
  return (
    <Drawer isExpanded={panel !== undefined} isInline position="end">
      <DrawerContent panelContent={panel}>
        <DrawerContentBody>{children}</DrawerContentBody>
      </DrawerContent>
    </Drawer>
  );
}

export function DetailsPanel({ title, onClose, testId, children }: { title: string; onClose: () => void; testId?: string; children: ReactNode }) {
  return (
    <DrawerPanelContent widths={{ default: "width_50" }} data-testid={testId}>
      <DrawerHead>
        <Title headingLevel="h2" size="lg">
          {title}
        </Title>
        <DrawerActions>
          <DrawerCloseButton onClick={onClose} />
        </DrawerActions>
      </DrawerHead>
      <DrawerPanelBody>{children}</DrawerPanelBody>
    </DrawerPanelContent>
  );
}

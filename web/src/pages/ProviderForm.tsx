// "Add provider" / "Edit provider": a vSphere or libvirt Provider and the Secret holding its credentials. The
// Secret is written and never read back (the form starts with blank credentials: blank keeps the stored ones).
import { ActionGroup, Alert, Button, Checkbox, Form, FormSelect, FormSelectOption, Modal, ModalBody, ModalHeader, TextInput } from "@patternfly/react-core";
import { useState } from "react";
import { collectionPath, objectPath } from "../api/client.ts";
import type { Provider } from "../api/generated.ts";
import { useAction } from "../api/hooks.ts";
import { useApi, useSession } from "../api/session.tsx";
import { FormField, validated } from "../components/FormField.tsx";
import { sortFieldErrors } from "../model/field-errors.ts";
import { emptyProviderForm, PROVIDER_FORM_FIELDS, type ProviderFormValues, providerEdit, providerFormFromProvider, providerObjects } from "../model/provider-form.ts";

/** Without `existing`: add a provider. With it: edit that one (name, namespace and type stay). */
export function ProviderForm({ onClose, existing }: { onClose: () => void; existing?: Provider }) {
  const api = useApi();
  const { identity } = useSession();
  const [v, setV] = useState<ProviderFormValues>(() => (existing ? providerFormFromProvider(existing) : emptyProviderForm(identity?.namespaces?.[0] ?? "default")));
  const set = <K extends keyof ProviderFormValues>(k: K, value: ProviderFormValues[K]) => setV((old) => ({ ...old, [k]: value }));
  const create = useAction(async () => {
    if (existing) {
      const { providerPatch, secret } = providerEdit(existing, v);
      const path = objectPath("providers", v.namespace, existing.metadata.name);
      // A server-side dry run first: a refused field is reported before any credential is replaced.
      await api.mergePatch(`${path}?dryRun=All`, providerPatch);
      if (secret && "create" in secret) await api.post(collectionPath("secrets", v.namespace), secret.create);
      if (secret && "patch" in secret) await api.mergePatch(objectPath("secrets", v.namespace, secret.patch.name), { stringData: secret.patch.stringData });
      await api.mergePatch(path, providerPatch);
      return;
    }
    const { secret, provider } = providerObjects(v);
    // The Secret first, so the Provider's first connection has its credentials; a refused Provider takes it back.
    if (secret) await api.post(collectionPath("secrets", v.namespace), secret);
    try {
      await api.post(collectionPath("providers", v.namespace), provider);
    } catch (err) {
      if (secret) await api.delete(objectPath("secrets", v.namespace, secret.metadata.name)).catch(() => undefined);
      throw err;
    }
  }, ["providers"]);
  const errors = sortFieldErrors(create.error, PROVIDER_FORM_FIELDS);
  const e = (id: keyof typeof PROVIDER_FORM_FIELDS) => errors.byField[id];
  return (
    <Modal variant="medium" isOpen onClose={onClose} aria-labelledby="add-provider-title" data-testid="provider-form">
      <ModalHeader title={existing ? `Edit provider ${existing.metadata.name}` : "Add provider"} labelId="add-provider-title" />
      <ModalBody>
        <Form
          onSubmit={(ev) => {
            ev.preventDefault();
            create.mutate(undefined, { onSuccess: () => onClose() });
          }}
        >
          {errors.general.length > 0 && (
            <Alert variant="danger" isInline title="The API refused the provider" data-testid="api-error">
              {errors.general.map((m) => (
                <p key={m}>{m}</p>
              ))}
            </Alert>
          )}
          <FormField id="provider-type" label="Type">
            <FormSelect id="provider-type" value={v.type} isDisabled={existing !== undefined} onChange={(_e, t) => set("type", t as ProviderFormValues["type"])}>
              <FormSelectOption value="vsphere" label="VMware vSphere (source)" />
              <FormSelectOption value="libvirt" label="libvirt / KVM (target)" />
            </FormSelect>
          </FormField>
          <FormField id="provider-name" label="Name" isRequired errors={e("name")}>
            <TextInput id="provider-name" value={v.name} isDisabled={existing !== undefined} validated={validated(e("name"))} onChange={(_e, x) => set("name", x)} />
          </FormField>
          <FormField id="provider-namespace" label="Namespace" isRequired>
            <TextInput id="provider-namespace" value={v.namespace} isDisabled={existing !== undefined} onChange={(_e, x) => set("namespace", x)} />
          </FormField>
          {v.type === "vsphere" ? (
            <>
              <FormField id="provider-endpoint" label="SDK URL" isRequired errors={e("endpoint")}>
                <TextInput id="provider-endpoint" value={v.endpoint} placeholder="https://vcenter.example.com/sdk" validated={validated(e("endpoint"))} onChange={(_e, x) => set("endpoint", x)} />
              </FormField>
              <FormField id="provider-transport" label="Disk transport" errors={e("transport")}>
                <FormSelect id="provider-transport" value={v.transport} onChange={(_e, t) => set("transport", t as ProviderFormValues["transport"])}>
                  <FormSelectOption value="" label="Default (datastore)" />
                  <FormSelectOption value="datastore" label="Datastore file API" />
                  <FormSelectOption value="nfc" label="NFC export lease" />
                  <FormSelectOption value="auto" label="Auto (NFC where the datastore cannot read a disk)" />
                </FormSelect>
              </FormField>
              <FormField id="provider-thumbprint" label="Certificate SHA-256 thumbprint" errors={e("thumbprint")}>
                <TextInput id="provider-thumbprint" value={v.thumbprint} placeholder="AB:CD:…" validated={validated(e("thumbprint"))} onChange={(_e, x) => set("thumbprint", x)} />
              </FormField>
              <Checkbox id="provider-insecure" label="Skip certificate verification (not recommended)" isChecked={v.insecureSkipVerify} onChange={(_e, c) => set("insecureSkipVerify", c)} />
            </>
          ) : (
            <>
              <FormField id="provider-uri" label="libvirt URI" isRequired errors={e("uri")}>
                <TextInput id="provider-uri" value={v.uri} validated={validated(e("uri"))} onChange={(_e, x) => set("uri", x)} />
              </FormField>
              <FormField id="provider-pool" label="Storage pool" errors={e("storagePool")}>
                <TextInput id="provider-pool" value={v.storagePool} validated={validated(e("storagePool"))} onChange={(_e, x) => set("storagePool", x)} />
              </FormField>
              <FormField id="provider-pool-path" label="Storage pool directory" errors={e("storagePoolPath")}>
                <TextInput id="provider-pool-path" value={v.storagePoolPath} validated={validated(e("storagePoolPath"))} onChange={(_e, x) => set("storagePoolPath", x)} />
              </FormField>
            </>
          )}
          <FormField id="provider-tenants" label="Tenants (namespaces that may use it; empty: all)" errors={e("tenants")}>
            <TextInput id="provider-tenants" value={v.tenants} placeholder="team-a, team-b" validated={validated(e("tenants"))} onChange={(_e, x) => set("tenants", x)} />
          </FormField>
          <FormField id="provider-username" label={v.type === "vsphere" ? "Username" : "Username (optional)"} errors={e("username")}>
            <TextInput id="provider-username" value={v.username} autoComplete="off" placeholder={existing ? "unchanged" : undefined} onChange={(_e, x) => set("username", x)} />
          </FormField>
          <FormField id="provider-password" label="Password" errors={e("password")}>
            <TextInput id="provider-password" type="password" value={v.password} autoComplete="new-password" placeholder={existing ? "unchanged" : undefined} onChange={(_e, x) => set("password", x)} />
          </FormField>
          <p style={{ fontSize: "var(--pf-t--global--font--size--sm)" }}>
            The credentials are written to a Secret and never shown again{existing ? "; leave them blank to keep the stored ones" : ""}.
          </p>
          <ActionGroup>
            <Button type="submit" variant="primary" isLoading={create.isPending} isDisabled={create.isPending}>
              {existing ? "Save" : "Create"}
            </Button>
            <Button variant="link" onClick={onClose}>
              Cancel
            </Button>
          </ActionGroup>
        </Form>
      </ModalBody>
    </Modal>
  );
}

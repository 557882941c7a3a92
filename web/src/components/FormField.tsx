// A form group whose helper text is the error for this field: the wizard's own check or the API's field cause.
import { FormGroup, FormHelperText, HelperText, HelperTextItem } from "@patternfly/react-core";
import type { ReactNode } from "react";

export function FormField({ id, label, errors, isRequired, children }: { id: string; label: string; errors?: readonly string[]; isRequired?: boolean; children: ReactNode }) {
  return (
    <FormGroup label={label} fieldId={id} isRequired={isRequired}>
      {children}
      {errors && errors.length > 0 && (
        <FormHelperText>
          <HelperText>
            {errors.map((e) => (
              <HelperTextItem key={e} variant="error" data-testid={`field-error-${id}`}>
                {e}
              </HelperTextItem>
            ))}
          </HelperText>
        </FormHelperText>
      )}
    </FormGroup>
  );
}

/** The validated state for a PatternFly input: "error" when the field has errors. */
export const validated = (errors: readonly string[] | undefined): "error" | "default" => (errors?.length ? "error" : "default");

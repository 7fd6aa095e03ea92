import { type FormEvent, useState } from "react";
import type { useUpdateCase } from "../../shared/api/caseQueries";
import type { CaseDetails } from "../../shared/api/types";
import { ErrorAlert } from "../../shared/components/ErrorAlert";
import { type CaseFormValues, changedFields, formValues } from "./caseForm";

type Props = { details: CaseDetails; editable: boolean; update: ReturnType<typeof useUpdateCase> };

const TEXT_FIELDS: { key: keyof CaseFormValues; label: string; type: string; col: string }[] = [
  { key: "specimen_id", label: "Specimen ID", type: "text", col: "col-sm-6 col-lg-3" },
  { key: "collection_date", label: "Collection date", type: "date", col: "col-sm-6 col-lg-3" },
  { key: "analyser", label: "Analyser", type: "text", col: "col-sm-6 col-lg-3" },
  { key: "wbc_count", label: "WBC count (×10⁹/L)", type: "text", col: "col-sm-6 col-lg-3" },
];

/** Specimen, collection date, analyser, WBC count and note; read-only when the user may not change them. */
export function CaseDetailsForm({ details, editable, update }: Props) {
  const saved = formValues(details);
  const [values, setValues] = useState<CaseFormValues>(saved);
  const [problem, setProblem] = useState<string | null>(null);
  const [edited, setEdited] = useState(false);
  const [nothingToSave, setNothingToSave] = useState(false);
  // The form is re-created with the saved details after a save, so "Saved." follows the save itself.
  const done = !edited && !update.isPending && (update.isSuccess || nothingToSave);

  function set(key: keyof CaseFormValues, value: string) {
    setValues((current) => ({ ...current, [key]: value }));
    setEdited(true);
    setNothingToSave(false);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    const body = changedFields(saved, values);
    if (typeof body === "string") {
      setProblem(body);
      return;
    }
    setEdited(false);
    if (Object.keys(body).length === 0) {
      setNothingToSave(true);
      return;
    }
    update.mutate(body);
  }

  return (
    <form onSubmit={submit} aria-label="Case details">
      <fieldset disabled={!editable || update.isPending}>
        <div className="row g-2">
          {TEXT_FIELDS.map((field) => (
            <div key={field.key} className={field.col}>
              <label htmlFor={`case-${field.key}`} className="form-label small mb-0">
                {field.label}
              </label>
              <input
                id={`case-${field.key}`}
                type={field.type}
                inputMode={field.key === "wbc_count" ? "decimal" : undefined}
                className="form-control form-control-sm"
                value={values[field.key]}
                onChange={(event) => set(field.key, event.target.value)}
              />
            </div>
          ))}
          <div className="col-12">
            <label htmlFor="case-note" className="form-label small mb-0">
              Note
            </label>
            <textarea
              id="case-note"
              className="form-control form-control-sm"
              rows={1}
              value={values.note}
              onChange={(event) => set("note", event.target.value)}
            />
          </div>
        </div>
        {editable && (
          <div className="d-flex align-items-center gap-2 mt-2">
            <button type="submit" className="btn btn-primary btn-sm">
              Save case details
            </button>
            {done && (
              <span className="small text-success" role="status">
                Saved.
              </span>
            )}
          </div>
        )}
      </fieldset>
      {problem && (
        <div className="alert alert-danger mt-2 mb-0" role="alert">
          {problem}
        </div>
      )}
      {update.isError && (
        <div className="mt-2">
          <ErrorAlert error={update.error} />
        </div>
      )}
    </form>
  );
}

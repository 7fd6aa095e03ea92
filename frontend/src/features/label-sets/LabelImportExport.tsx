import { type ChangeEvent, useState } from "react";
import { useImportLabels } from "../../shared/api/queries";
import type { LabelSet } from "../../shared/api/types";
import { ExportHistoryButton } from "./ExportHistoryButton";
import { ImportFailureMessage } from "./ImportFailureMessage";
import { checkImportFile, importFailure, importResultWords } from "./labelImport";
import { labelSetName } from "./labelSets";
import { RefitStatus } from "./RefitStatus";

/** Admin: imports a CSV of `image_id,label` rows into one label set, and exports that set's history. */
export function LabelImportExport({ labelSet }: { labelSet: LabelSet }) {
  const [progress, setProgress] = useState(0);
  const importer = useImportLabels(labelSet.name, setProgress);
  const [problem, setProblem] = useState<string | null>(null);
  const [fileName, setFileName] = useState<string | null>(null);
  const [refitKey, setRefitKey] = useState<string | null>(null);
  const inputId = `import-labels-${labelSet.name}`;
  const name = labelSetName(labelSet.name);

  function pick(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = ""; // the same file may be picked again after fixing it
    if (!file) return;
    importer.reset();
    setFileName(file.name);
    const issue = checkImportFile(file);
    setProblem(issue);
    if (issue) return;
    setProgress(0);
    importer.mutate(file, {
      onSuccess: (result) => {
        if (result.imported > 0) setRefitKey(`import-${Date.now()}`);
      },
    });
  }

  return (
    <section
      className="border-top pt-3 mt-3"
      aria-labelledby="label-io-title"
      data-testid="label-import-export"
    >
      <h3 className="h6" id="label-io-title">
        Import and export labels — {name}
      </h3>
      <p className="small text-secondary mb-2" id={`${inputId}-help`}>
        A UTF-8 CSV with the columns <code>image_id,label</code>, one cell per row; each label must be a class
        of {name}. Every row is checked first: if one is wrong, nothing is imported. Rows equal to a cell's
        current label are left unchanged.
      </p>
      <div className="d-flex flex-wrap align-items-end gap-3">
        <div className="flex-grow-1 label-import-picker">
          <label htmlFor={inputId} className="form-label small mb-1">
            Import labels (CSV) into {name}
          </label>
          <input
            id={inputId}
            type="file"
            accept=".csv,text/csv"
            className="form-control form-control-sm"
            aria-describedby={`${inputId}-help`}
            disabled={importer.isPending}
            onChange={pick}
          />
        </div>
        <ExportHistoryButton labelSet={labelSet.name} ariaLabel={`Export label history (CSV) of ${name}`}>
          Export label history (CSV)
        </ExportHistoryButton>
      </div>
      {importer.isPending && (
        <div
          className="progress mt-2"
          role="progressbar"
          aria-label={`Uploading ${fileName ?? "the CSV"}`}
          aria-valuenow={Math.round(progress * 100)}
          aria-valuemin={0}
          aria-valuemax={100}
        >
          <div className="progress-bar" style={{ width: `${Math.round(progress * 100)}%` }} />
        </div>
      )}
      <div aria-live="polite">
        {problem && (
          <div className="small text-danger mt-2" role="alert">
            {problem}
          </div>
        )}
        {importer.isError && <ImportFailureMessage failure={importFailure(importer.error, labelSet.name)} />}
        {importer.isSuccess && (
          <div className="small text-success mt-2" role="status" data-testid="import-result">
            {fileName ? `${fileName}: ` : ""}
            {importResultWords(importer.data)}
          </div>
        )}
      </div>
      {refitKey && (
        <div className="mt-2">
          <RefitStatus key={refitKey} name={labelSet.name} afterChange />
        </div>
      )}
    </section>
  );
}

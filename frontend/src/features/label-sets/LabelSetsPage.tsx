import { useState } from "react";
import { useLabelSets } from "../../shared/api/queries";
import { useLabClassName } from "../../shared/classNames";
import { ErrorAlert } from "../../shared/components/ErrorAlert";
import { Loading } from "../../shared/components/Loading";
import { useAuth } from "../auth/AuthContext";
import { AddClassesForm } from "./AddClassesForm";
import { CreateLabelSetForm } from "./CreateLabelSetForm";
import { ExportHistoryButton } from "./ExportHistoryButton";
import { LabelImportExport } from "./LabelImportExport";
import { LearningCurve } from "./LearningCurve";
import { labelSetName, labelSetStatusWords } from "./labelSets";

export function LabelSetsPage() {
  const labelSets = useLabelSets();
  const nameOf = useLabClassName();
  const { user } = useAuth();
  const canEdit = user?.role === "pathologist" || user?.role === "admin";
  const isAdmin = user?.role === "admin";
  const [selected, setSelected] = useState<string | null>(null);

  if (labelSets.isPending) return <Loading what="label sets" />;
  if (labelSets.isError) return <ErrorAlert error={labelSets.error} onRetry={() => labelSets.refetch()} />;
  const sets = labelSets.data;
  const chosen = sets.find((set) => set.name === selected) ?? sets[0];

  return (
    <>
      <div className="d-flex flex-wrap align-items-start gap-2 mb-3">
        <h1 className="h3 mb-0">Label sets</h1>
        {isAdmin && (
          <div className="ms-auto">
            <ExportHistoryButton>Export label history (CSV), all label sets</ExportHistoryButton>
          </div>
        )}
      </div>
      <p className="text-secondary">
        Each label set has a light classifier that is refitted on the lab's labels within seconds of a change.
        Label cells from a project's <em>Labelling queue</em> tab or a cell's page.
      </p>
      {canEdit && <CreateLabelSetForm />}
      <div className="table-responsive">
        <table className="table table-hover align-middle">
          <caption className="visually-hidden">Label sets and the state of their classifiers</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Classes</th>
              <th scope="col">Classifier version</th>
              <th scope="col">Lab labels</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {sets.map((set) => (
              <tr
                key={set.name}
                className={set.name === chosen?.name ? "table-active" : undefined}
                data-testid={`label-set-${set.name}`}
              >
                <th scope="row">
                  <button
                    type="button"
                    className="btn btn-link p-0 text-start"
                    aria-pressed={set.name === chosen?.name}
                    onClick={() => setSelected(set.name)}
                  >
                    {labelSetName(set.name)}
                  </button>
                  {set.description && <div className="small text-secondary fw-normal">{set.description}</div>}
                </th>
                <td>{set.kind === "custom" ? "lab" : "model"}</td>
                <td className="small">{set.classes.map(nameOf).join(", ")}</td>
                <td>{set.classifier_version ?? <span className="text-secondary">model's</span>}</td>
                <td>{set.lab_labels}</td>
                <td className="small" data-testid="label-set-status">
                  {set.updating && (
                    <span className="spinner-border spinner-border-sm me-1" aria-hidden="true" />
                  )}
                  <span
                    className={
                      set.status === "failed"
                        ? "text-danger"
                        : set.status === "needs_labels"
                          ? "text-warning-emphasis"
                          : undefined
                    }
                  >
                    {labelSetStatusWords(set)}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {chosen && (
        <section className="card card-body" aria-labelledby="label-set-detail-title">
          <h2 className="h5" id="label-set-detail-title">
            Learning curve — {labelSetName(chosen.name)}
          </h2>
          <LearningCurve name={chosen.name} key={`${chosen.name}-${chosen.classifier_version}`} />
          {canEdit && <AddClassesForm labelSet={chosen} key={chosen.name} />}
          {isAdmin && <LabelImportExport labelSet={chosen} key={`io-${chosen.name}`} />}
        </section>
      )}
    </>
  );
}

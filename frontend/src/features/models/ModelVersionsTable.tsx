import type { ModelVersion } from "../../shared/api/types";
import { formatDate } from "../../shared/format";
import { formatScore, keyMetrics } from "./models";

/** The registered model versions, their key metrics, and an "Activate" button on each inactive one. */
export function ModelVersionsTable({
  models,
  busy,
  onActivate,
}: {
  models: ModelVersion[];
  busy: boolean;
  onActivate: (model: ModelVersion) => void;
}) {
  return (
    <div className="table-responsive mb-4">
      <table className="table align-middle">
        <caption className="visually-hidden">Registered model versions</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Created</th>
            <th scope="col">Registered by</th>
            <th scope="col">Status</th>
            <th scope="col" className="text-end">
              Cell type macro F1
            </th>
            <th scope="col" className="text-end">
              Attributes macro F1
            </th>
            <th scope="col" className="text-end">
              References
            </th>
            <th scope="col" className="text-end">
              Input size
            </th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {models.map((model) => {
            const key = keyMetrics(model);
            return (
              <tr key={model.version} data-testid="model-row" className={model.active ? "table-active" : ""}>
                <th scope="row" className="fw-semibold text-break">
                  {model.version}
                </th>
                <td className="small">{formatDate(model.created)}</td>
                <td className="small">{model.registered_by || "—"}</td>
                <td>
                  {model.active ? (
                    <span className="badge text-bg-success">Active</span>
                  ) : (
                    <span className="badge text-bg-light border">Inactive</span>
                  )}
                </td>
                <td className="text-end font-monospace">{formatScore(key.macroF1)}</td>
                <td className="text-end font-monospace">{formatScore(key.attributesMacroF1)}</td>
                <td className="text-end">{model.reference_count.toLocaleString("en")}</td>
                <td className="text-end">{key.inputSize ? `${key.inputSize} px` : "—"}</td>
                <td className="text-end">
                  {!model.active && (
                    <button
                      type="button"
                      className="btn btn-sm btn-outline-primary"
                      disabled={busy}
                      aria-label={`Activate model ${model.version}`}
                      onClick={() => onActivate(model)}
                    >
                      Activate
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

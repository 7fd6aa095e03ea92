import { useMemo, useState } from "react";
import { useParams } from "react-router";
import { download, exportName } from "../../shared/api/download";
import { errorMessage } from "../../shared/api/errors";
import { useDifferentialCount, useProject } from "../../shared/api/queries";
import { differentialSpec } from "../../shared/charts/specs";
import { ClassLabel } from "../../shared/components/ClassLabel";
import { ErrorAlert } from "../../shared/components/ErrorAlert";
import { Loading } from "../../shared/components/Loading";
import { VegaChart } from "../../shared/components/VegaChart";

export function DifferentialCountPage() {
  const { projectId = "" } = useParams();
  const count = useDifferentialCount(projectId);
  const project = useProject(projectId);
  const [exportError, setExportError] = useState<string | null>(null);
  const classes = useMemo(
    () =>
      [...(count.data?.classes ?? [])].sort((a, b) => b.count - a.count || a.label.localeCompare(b.label)),
    [count.data],
  );
  const spec = useMemo(() => differentialSpec(classes), [classes]);

  if (count.isPending) return <Loading what="differential count" />;
  if (count.isError) return <ErrorAlert error={count.error} onRetry={() => count.refetch()} />;
  const total = count.data.total;

  return (
    <section aria-labelledby="differential-title">
      <div className="d-flex flex-wrap align-items-end gap-3 mb-3">
        <div>
          <h2 className="h5 mb-1" id="differential-title">
            Differential count
          </h2>
          <p className="small text-secondary mb-0">
            {total} classified cells, label set <strong>{count.data.label_set.replaceAll("_", " ")}</strong>.
            Cells still waiting or failed are not counted.
            {count.data.unusable > 0 && (
              <span className="text-danger" data-testid="unusable-count">
                {" "}
                {count.data.unusable} flagged as not usable cells are left out until someone confirms them in
                the results.
              </span>
            )}
          </p>
        </div>
        <button
          type="button"
          className="btn btn-primary btn-sm ms-auto"
          disabled={total === 0}
          onClick={() => {
            setExportError(null);
            download(
              `/api/v1/projects/${projectId}/differential-count?format=csv`,
              exportName(project.data?.name, "differential-count.csv"),
            ).catch((error) => setExportError(errorMessage(error)));
          }}
        >
          Export CSV
        </button>
      </div>
      {exportError && <ErrorAlert error={new Error(exportError)} />}
      {total === 0 ? (
        <p className="text-secondary">No classified cells yet.</p>
      ) : (
        <div className="row g-4">
          <div className="col-lg-5">
            <table className="table table-sm align-middle" data-testid="differential-table">
              <thead>
                <tr>
                  <th scope="col">Class</th>
                  <th scope="col" className="text-end">
                    Count
                  </th>
                  <th scope="col" className="text-end">
                    %
                  </th>
                </tr>
              </thead>
              <tbody>
                {classes.map((item) => (
                  <tr key={item.label}>
                    <td>
                      <ClassLabel label={item.label} />
                    </td>
                    <td className="text-end">{item.count}</td>
                    <td className="text-end">{total ? ((100 * item.count) / total).toFixed(1) : "0.0"}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr className="fw-semibold">
                  <td>Total</td>
                  <td className="text-end">{total}</td>
                  <td className="text-end">100.0</td>
                </tr>
              </tfoot>
            </table>
          </div>
          <div className="col-lg-7">
            <VegaChart spec={spec} label="Share of cells per class" className="w-100" />
          </div>
        </div>
      )}
    </section>
  );
}

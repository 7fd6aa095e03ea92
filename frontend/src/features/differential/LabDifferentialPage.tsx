import { useMemo, useState } from "react";
import { useParams } from "react-router";
import { useLabDifferential } from "../../shared/api/caseQueries";
import { download, exportName } from "../../shared/api/download";
import { errorMessage } from "../../shared/api/errors";
import { useProject } from "../../shared/api/queries";
import { differentialSpec } from "../../shared/charts/specs";
import { useLabClassName } from "../../shared/classNames";
import { ErrorAlert } from "../../shared/components/ErrorAlert";
import { Loading } from "../../shared/components/Loading";
import { VegaChart } from "../../shared/components/VegaChart";
import { LabDifferentialTable } from "./LabDifferentialTable";
import { OtherCellsTable } from "./OtherCellsTable";

/** The differential as the lab reports it (GET /projects/{id}/lab-differential), with its CSV. */
export function LabDifferentialPage() {
  const { projectId = "" } = useParams();
  const differential = useLabDifferential(projectId);
  const project = useProject(projectId);
  const nameOf = useLabClassName();
  const [exportError, setExportError] = useState<string | null>(null);
  const spec = useMemo(
    () =>
      differentialSpec(
        (differential.data?.classes ?? [])
          .filter((item) => item.category === "wbc" && item.count > 0)
          .map((item) => ({
            label: item.code,
            name: nameOf(item.code),
            count: item.count,
            percentage: item.percentage ?? 0,
          })),
      ),
    [differential.data, nameOf],
  );

  if (differential.isPending) return <Loading what="differential" />;
  if (differential.isError)
    return <ErrorAlert error={differential.error} onRetry={() => differential.refetch()} />;
  const data = differential.data;
  const counted = data.white_cells + data.platelets + data.nrbc;

  return (
    <section aria-labelledby="differential-title">
      <div className="d-flex flex-wrap align-items-end gap-3 mb-3">
        <div>
          <h2 className="h5 mb-1" id="differential-title">
            Lab differential
          </h2>
          <p className="small text-secondary mb-0" data-testid="differential-summary">
            {data.reviewed} reviewed, {data.not_reviewed} not reviewed
            {data.unclassified > 0 && `, ${data.unclassified} not classified yet`}. Model version
            {data.model_versions.length === 1 ? "" : "s"}: {data.model_versions.join(", ") || "—"}.{" "}
            {data.wbc_count === null
              ? "Enter a WBC count in the case details for absolute counts."
              : `WBC count ${data.wbc_count} ×10⁹/L.`}
            {data.unusable > 0 && (
              <span className="text-danger" data-testid="unusable-count">
                {" "}
                {data.unusable} flagged as not usable cells are left out until someone confirms them in the
                results.
              </span>
            )}
          </p>
        </div>
        <button
          type="button"
          className="btn btn-primary btn-sm ms-auto"
          disabled={counted === 0}
          onClick={() => {
            setExportError(null);
            download(
              `/api/v1/projects/${projectId}/lab-differential?format=csv`,
              exportName(project.data?.name, "lab-differential.csv"),
            ).catch((error) => setExportError(errorMessage(error)));
          }}
        >
          Export CSV
        </button>
      </div>
      {exportError && <ErrorAlert error={new Error(exportError)} />}
      {counted === 0 ? (
        <p className="text-secondary">No classified cells yet.</p>
      ) : (
        <div className="row g-4">
          <div className="col-xl-7">
            <div className="table-responsive">
              <LabDifferentialTable differential={data} nameOf={nameOf} />
            </div>
            <OtherCellsTable differential={data} nameOf={nameOf} />
          </div>
          <div className="col-xl-5">
            <VegaChart spec={spec} label="Share of white cells per class" className="w-100" />
          </div>
        </div>
      )}
    </section>
  );
}

import { Link, useParams } from "react-router";
import { useCaseDetails, useLabDifferential } from "../../shared/api/caseQueries";
import { useImages, useProject } from "../../shared/api/queries";
import { useLabClassName } from "../../shared/classNames";
import { ErrorAlert } from "../../shared/components/ErrorAlert";
import { Loading } from "../../shared/components/Loading";
import { LabDifferentialTable } from "../differential/LabDifferentialTable";
import { OtherCellsTable } from "../differential/OtherCellsTable";
import { FlaggedCellsGrid } from "./FlaggedCellsGrid";
import { flaggedCells } from "./flagged";

const dash = (value: string | number | null | undefined) =>
  value === null || value === undefined || value === "" ? "—" : String(value);

/**
 * The case's one-page report for the browser's print: header, lab differential, flagged cells with thumbnails
 * and the sign-off, on a sheet; the print stylesheet leaves out the app around it (navigation, buttons).
 */
export function CaseReportPage() {
  const { projectId = "" } = useParams();
  const project = useProject(projectId);
  const details = useCaseDetails(projectId);
  const differential = useLabDifferential(projectId);
  const images = useImages(projectId);
  const nameOf = useLabClassName();
  const failed = [project, details, differential, images].find((query) => query.isError);
  if (failed) return <ErrorAlert error={failed.error} onRetry={() => failed.refetch()} />;
  if (!project.data || !details.data || !differential.data || !images.data) return <Loading what="report" />;
  const count = differential.data;
  const caseDetails = details.data;
  const flagged = flaggedCells(images.data);
  const signedOff = caseDetails.status === "signed_off";
  return (
    <>
      <div className="d-flex flex-wrap gap-2 mb-3 no-print">
        <Link to={`/projects/${projectId}/cells`} className="btn btn-sm btn-outline-secondary">
          ← Back to the case
        </Link>
        <button type="button" className="btn btn-sm btn-primary" onClick={() => window.print()}>
          Print
        </button>
        <span className="small text-secondary align-self-center">
          One A4 page; the navigation and buttons are left out of the printout.
        </span>
      </div>
      <article className="report-sheet" aria-labelledby="report-title" data-testid="report-sheet">
        <header className="report-header">
          <div>
            <div className="small text-secondary">HemoSight · white-cell differential report</div>
            <h1 className="h4 mb-0" id="report-title">
              {project.data.name}
            </h1>
          </div>
          <div className="small text-end">Printed {new Date().toLocaleString()}</div>
        </header>
        <dl className="report-details small">
          <dt>Specimen</dt>
          <dd>{dash(caseDetails.specimen_id)}</dd>
          <dt>Collected</dt>
          <dd>{dash(caseDetails.collection_date)}</dd>
          <dt>Analyser</dt>
          <dd>{dash(caseDetails.analyser)}</dd>
          <dt>WBC count</dt>
          <dd>{caseDetails.wbc_count === null ? "—" : `${caseDetails.wbc_count} ×10⁹/L`}</dd>
          <dt>Review</dt>
          <dd>
            {count.reviewed} reviewed, {count.not_reviewed} not reviewed
          </dd>
          <dt className="report-wide-term">Model</dt>
          <dd className="report-wide-value text-break">{count.model_versions.join(", ") || "—"}</dd>
        </dl>
        {caseDetails.note && <p className="small mb-2">Note: {caseDetails.note}</p>}
        <div className="report-tables">
          <section aria-label="Lab differential">
            <LabDifferentialTable differential={count} nameOf={nameOf} />
          </section>
          <section aria-label="Other cells">
            <OtherCellsTable differential={count} nameOf={nameOf} />
          </section>
        </div>
        <section aria-labelledby="report-flagged-title">
          <h2 className="h6" id="report-flagged-title">
            Flagged cells ({flagged.length})
          </h2>
          <FlaggedCellsGrid flagged={flagged} nameOf={nameOf} />
        </section>
        <section className="report-sign-off" aria-label="Sign-off" data-testid="report-sign-off">
          {signedOff ? (
            <>
              Signed off by <strong>{caseDetails.signed_off_by}</strong>
              {caseDetails.signed_off_at && ` on ${new Date(caseDetails.signed_off_at).toLocaleString()}`}.
            </>
          ) : (
            <>Not signed off: the case is still in review.</>
          )}
          <div className="small text-secondary">Decision support: a pathologist confirms every result.</div>
        </section>
      </article>
    </>
  );
}

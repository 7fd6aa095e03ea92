import { useCapabilities, useCaseDetails, useUpdateCase } from "../../shared/api/caseQueries";
import type { CaseDetails } from "../../shared/api/types";
import { ErrorAlert } from "../../shared/components/ErrorAlert";
import { AuditLog } from "./AuditLog";
import { CaseDetailsForm } from "./CaseDetailsForm";
import { CaseStatusBadge } from "./CaseStatusBadge";
import { MembersSection } from "./MembersSection";
import { PrintReportLink } from "./PrintReportLink";
import { ReopenForm } from "./ReopenForm";
import { ReportButton } from "./ReportButton";
import { SignOffButton } from "./SignOffButton";

/** " — specimen S-1 · Sysmex · WBC 7.5 ×10⁹/L", or nothing while no detail is filled in. */
function caseSummary(details: CaseDetails): string {
  const parts = [
    details.specimen_id && `specimen ${details.specimen_id}`,
    details.collection_date && `collected ${details.collection_date}`,
    details.analyser,
    details.wbc_count !== null && `WBC ${details.wbc_count} ×10⁹/L`,
  ].filter(Boolean);
  return parts.length ? ` — ${parts.join(" · ")}` : "";
}

/** The case above the tabs: its details, status, sign-off / reopen and the PDF report, as the user may. */
export function CasePanel({ projectId, projectName }: { projectId: string; projectName: string }) {
  const details = useCaseDetails(projectId);
  const capabilities = useCapabilities(projectId);
  // Owned here, not by the form: the form is re-created when the saved details change, the save's outcome stays.
  const update = useUpdateCase(projectId);
  const can = capabilities.data;

  if (details.isError) return <ErrorAlert error={details.error} onRetry={() => details.refetch()} />;
  if (!details.data) return null;
  return (
    <section className="card mb-3" aria-labelledby="case-title">
      <div className="card-body py-2">
        <div className="d-flex flex-wrap align-items-center gap-2 mb-2">
          <h2 className="h6 mb-0" id="case-title">
            Case
          </h2>
          <CaseStatusBadge details={details.data} />
          <div className="d-flex flex-wrap align-items-center gap-2 ms-auto">
            {can?.sign_off && <SignOffButton projectId={projectId} />}
            {can?.reopen && <ReopenForm projectId={projectId} />}
            {can?.download_report && <ReportButton projectId={projectId} projectName={projectName} />}
            {can?.download_report && <PrintReportLink projectId={projectId} />}
          </div>
        </div>
        {capabilities.isError && <ErrorAlert error={capabilities.error} />}
        {/* Folded by default so the tabs' content (landscape, gallery) stays above the fold. */}
        <details>
          <summary className="small">
            Case details
            <span className="text-secondary" data-testid="case-summary">
              {caseSummary(details.data)}
            </span>
          </summary>
          <div className="mt-2">
            <CaseDetailsForm
              key={JSON.stringify(details.data)}
              details={details.data}
              editable={can?.edit_case_details === true}
              update={update}
            />
            {can?.manage_members && <MembersSection projectId={projectId} />}
          </div>
        </details>
        {can?.read_audit_log && <AuditLog projectId={projectId} />}
      </div>
    </section>
  );
}

import type { CaseDetails } from "../../shared/api/types";
import { formatDate } from "../../shared/format";

/** "In review", or who signed the case off and when. */
export function CaseStatusBadge({ details }: { details: CaseDetails }) {
  if (details.status === "signed_off") {
    return (
      <span className="badge text-bg-success" data-testid="case-status">
        Signed off by {details.signed_off_by ?? "unknown"} at {formatDate(details.signed_off_at)}
      </span>
    );
  }
  return (
    <span className="badge text-bg-warning" data-testid="case-status">
      In review
    </span>
  );
}

import { useParams } from "react-router";
import { useCapabilities } from "../../shared/api/caseQueries";
import { errorMessage } from "../../shared/api/errors";
import { useConfirmUsable } from "../../shared/api/queries";
import type { ImageSummary } from "../../shared/api/types";

/** "Not a usable cell" with the reason, and the button that lets it count in the differential. */
export function UnusableNote({ image }: { image: ImageSummary }) {
  const confirm = useConfirmUsable();
  const { projectId = "" } = useParams();
  const canConfirm = useCapabilities(projectId).data?.confirm_usable === true;
  if (!image.unusable) return null;
  if (image.usable_confirmed) {
    return (
      <div className="small text-secondary" data-testid="usable-confirmed">
        flagged as unusable, confirmed as a cell: counted
      </div>
    );
  }
  return (
    <div className="small text-danger" data-testid="unusable">
      ⚠ Not a usable cell, not counted: {image.unusable}{" "}
      {canConfirm && (
        <button
          type="button"
          className="btn btn-sm btn-outline-secondary py-0"
          disabled={confirm.isPending}
          onClick={() => confirm.mutate(image.id)}
        >
          It is a cell: count it
        </button>
      )}
      {confirm.isError && <div role="alert">{errorMessage(confirm.error)}</div>}
    </div>
  );
}

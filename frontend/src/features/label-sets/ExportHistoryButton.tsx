import { type ReactNode, useState } from "react";
import { download } from "../../shared/api/download";
import { errorMessage } from "../../shared/api/errors";
import { exportFileName, exportPath } from "./labelImport";

/** Admin: downloads the label history (every change, who, when, previous label) as CSV. */
export function ExportHistoryButton({
  labelSet,
  ariaLabel,
  className: buttonClass = "btn btn-outline-primary btn-sm",
  children,
}: {
  labelSet?: string;
  ariaLabel?: string;
  className?: string;
  children: ReactNode;
}) {
  const [pending, setPending] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <div>
      <button
        type="button"
        className={buttonClass}
        aria-label={ariaLabel}
        disabled={pending}
        onClick={() => {
          setProblem(null);
          setPending(true);
          download(exportPath(labelSet), exportFileName(labelSet))
            .catch((error) => setProblem(`The label history was not exported: ${errorMessage(error)}`))
            .finally(() => setPending(false));
        }}
      >
        {pending && <span className="spinner-border spinner-border-sm me-1" aria-hidden="true" />}
        {children}
      </button>
      <div aria-live="polite">
        {problem && (
          <div className="small text-danger mt-1" role="alert">
            {problem}
          </div>
        )}
      </div>
    </div>
  );
}

import { useState } from "react";
import { errorMessage } from "../../shared/api/errors";
import { useBulkLabel, useLabelSets } from "../../shared/api/queries";
import { useLabClassName } from "../../shared/classNames";
import { labelSetName } from "../label-sets/labelSets";
import { RefitStatus } from "../label-sets/RefitStatus";

/**
 * Review many cells of the results grid at once: confirm their predicted class, or give them all
 * one class (a slide of neutrophils the model split between two classes). One audited change per
 * cell, all or nothing; the label set's classifier is then refitted like after a single correction.
 */
export function BulkReview({
  labelSet,
  selected,
  needsReason = false,
  onDone,
}: {
  labelSet: string;
  selected: string[];
  /** The case is signed off: a change needs a reason, which the audit log keeps. */
  needsReason?: boolean;
  onDone: () => void;
}) {
  const labelSets = useLabelSets();
  const bulk = useBulkLabel();
  const nameOf = useLabClassName();
  const [target, setTarget] = useState("");
  const [outcome, setOutcome] = useState<string | null>(null);
  const [reason, setReason] = useState("");
  const reasonMissing = needsReason && reason.trim().length < 3;
  const classes = labelSets.data?.find((set) => set.name === labelSet)?.classes ?? [];
  const count = selected.length;

  const submit = (action: "confirm" | "set") => {
    setOutcome(null);
    bulk.mutate(
      {
        label_set: labelSet,
        action,
        items: selected.map((imageId) =>
          action === "set" ? { image_id: imageId, label: target } : { image_id: imageId },
        ),
        ...(needsReason ? { reason: reason.trim() } : {}),
      },
      {
        onSuccess: (events) => {
          const what =
            action === "confirm" ? "Confirmed the predicted class of" : `Set ${nameOf(target)} for`;
          setOutcome(`${what} ${events.length} cell${events.length === 1 ? "" : "s"}.`);
          onDone();
        },
      },
    );
  };

  return (
    <section className="card card-body py-2 mb-3 bulk-review" aria-label="Review the selected cells">
      {count > 0 ? (
        <div className="d-flex flex-wrap align-items-center gap-2">
          <span className="fw-semibold" data-testid="bulk-count">
            {count} cell{count === 1 ? "" : "s"} selected
          </span>
          <span className="text-secondary small">({labelSetName(labelSet)})</span>
          <button
            type="button"
            className="btn btn-sm btn-success"
            disabled={bulk.isPending || reasonMissing}
            onClick={() => submit("confirm")}
          >
            Confirm predicted class
          </button>
          <label htmlFor="bulk-class" className="small ms-2">
            or set all to
          </label>
          <select
            id="bulk-class"
            className="form-select form-select-sm w-auto"
            value={target}
            onChange={(event) => setTarget(event.target.value)}
          >
            <option value="">choose a class…</option>
            {classes.map((name) => (
              <option key={name} value={name}>
                {nameOf(name)}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="btn btn-sm btn-primary"
            disabled={!target || bulk.isPending || reasonMissing}
            onClick={() => submit("set")}
          >
            Set class
          </button>
          {needsReason && (
            <input
              className="form-control form-control-sm w-auto"
              aria-label="Reason for the change (the case is signed off)"
              placeholder="Reason (signed-off case)"
              minLength={3}
              maxLength={500}
              value={reason}
              onChange={(event) => setReason(event.target.value)}
            />
          )}
          <button type="button" className="btn btn-sm btn-link" onClick={onDone}>
            Clear selection
          </button>
        </div>
      ) : (
        <span className="small text-secondary">
          Tick cells in the table to confirm or correct their {labelSetName(labelSet)} in one step.
        </span>
      )}
      {bulk.isError && (
        <div className="text-danger small mt-1" role="alert">
          {errorMessage(bulk.error)}
        </div>
      )}
      {outcome && (
        <div className="text-success small mt-1" role="status" data-testid="bulk-outcome">
          {outcome}
        </div>
      )}
      {bulk.isSuccess && <RefitStatus name={labelSet} afterChange />}
    </section>
  );
}

import { useState } from "react";
import { errorMessage } from "../../shared/api/errors";
import { useLabelImage } from "../../shared/api/queries";
import { useLabClassName } from "../../shared/classNames";
import { labelSetName } from "../label-sets/labelSets";

export function CorrectionControls({
  imageId,
  labelSet,
  predicted,
  classes,
  needsReason = false,
  onChange,
}: {
  imageId: string;
  labelSet: string;
  predicted: string | undefined;
  classes: string[];
  /** The case is signed off: a change needs a reason, which the audit log keeps. */
  needsReason?: boolean;
  onChange: (labelSet: string, changeId: string) => void;
}) {
  const label = useLabelImage();
  const nameOf = useLabClassName();
  const [choice, setChoice] = useState(predicted ?? classes[0] ?? "");
  const [reason, setReason] = useState("");
  const name = labelSetName(labelSet);
  const reasonMissing = needsReason && reason.trim().length < 3;
  const send = (action: "set" | "confirm") =>
    label.mutate(
      {
        imageId,
        label_set: labelSet,
        action,
        label: action === "set" ? choice : undefined,
        reason: needsReason ? reason.trim() : undefined,
      },
      {
        onSuccess: (event) => {
          setReason("");
          onChange(labelSet, event.id);
        },
      },
    );
  return (
    <>
      <form
        className="d-flex flex-wrap gap-1 align-items-center"
        onSubmit={(event) => {
          event.preventDefault();
          send("set");
        }}
      >
        <select
          className="form-select form-select-sm w-auto"
          aria-label={`Correct label for ${name}`}
          value={choice}
          onChange={(event) => setChoice(event.target.value)}
          disabled={classes.length === 0}
        >
          {classes.map((item) => (
            <option key={item} value={item}>
              {nameOf(item)}
            </option>
          ))}
        </select>
        {needsReason && (
          <input
            className="form-control form-control-sm w-auto"
            aria-label={`Reason for changing ${name} (the case is signed off)`}
            placeholder="Reason (signed-off case)"
            minLength={3}
            maxLength={500}
            value={reason}
            onChange={(event) => setReason(event.target.value)}
          />
        )}
        <button
          type="submit"
          className="btn btn-sm btn-outline-primary"
          disabled={label.isPending || !choice || reasonMissing}
          aria-label={`Correct ${name} to ${nameOf(choice)}`}
        >
          Correct
        </button>
        {predicted && (
          <button
            type="button"
            className="btn btn-sm btn-outline-success"
            disabled={label.isPending || reasonMissing}
            onClick={() => send("confirm")}
            aria-label={`Confirm ${nameOf(predicted)} for ${name}`}
          >
            Confirm
          </button>
        )}
      </form>
      {label.isError && (
        <div className="small text-danger mt-1" role="alert">
          Not saved: {errorMessage(label.error)}
        </div>
      )}
    </>
  );
}

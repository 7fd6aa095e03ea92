import { useMemo } from "react";
import { useImage } from "../../shared/api/queries";
import { probabilitySpec } from "../../shared/charts/specs";
import { formatPercent } from "../../shared/classes";
import { useLabClassName } from "../../shared/classNames";
import { AuthImage } from "../../shared/components/AuthImage";
import { ClassLabel } from "../../shared/components/ClassLabel";
import { VegaChart } from "../../shared/components/VegaChart";
import { runnerUp, runnerUpWords } from "../../shared/runnerUp";
import type { QueueCellItem } from "./labelling";

/** The cell being labelled: its image, prediction, probabilities and the class buttons. */
export function QueueCell({
  item,
  labelSet,
  classes,
  picked,
  done,
  onPick,
}: {
  item: QueueCellItem;
  labelSet: string;
  classes: string[];
  picked: string | null;
  done: string | undefined;
  onPick: (label: string) => void;
}) {
  const image = useImage(item.image_id);
  const probabilities = image.data?.result?.probabilities?.[labelSet] ?? {};
  const nameOf = useLabClassName();
  const spec = useMemo(() => probabilitySpec(probabilities, nameOf), [probabilities, nameOf]);
  const predicted = image.data?.result?.labels?.[labelSet] ?? item.label;
  const confidence = predicted ? (probabilities[predicted] ?? item.confidence) : null;
  const second = predicted ? runnerUp(probabilities, predicted) : null;
  return (
    <div className="row g-4">
      <div className="col-md-6">
        <div className="card">
          <AuthImage
            src={`/api/v1/images/${item.image_id}/file`}
            alt={`Cell image ${item.filename}`}
            className="cell-image queue-image"
          />
        </div>
      </div>
      <div className="col-md-6">
        <h3 className="h6 text-break">{item.filename}</h3>
        <dl className="row mb-2">
          <dt className="col-5">Predicted</dt>
          <dd className="col-7" data-testid="queue-predicted">
            {predicted ? (
              <ClassLabel label={predicted} />
            ) : (
              <span className="text-secondary">no classifier yet</span>
            )}
            {confidence !== null && confidence !== undefined && (
              <span className="text-secondary ms-2" data-testid="queue-confidence">
                {formatPercent(confidence)}
                {second && ` · ${runnerUpWords(second, nameOf)}`}
              </span>
            )}
          </dd>
          {done && (
            <>
              <dt className="col-5">Labelled now</dt>
              <dd className="col-7 text-success" data-testid="queue-done">
                ✓ {nameOf(done)}
              </dd>
            </>
          )}
        </dl>
        <fieldset>
          <legend className="h6">Class</legend>
          <div className="d-flex flex-wrap gap-2" data-testid="queue-classes">
            {classes.map((label, index) => (
              <button
                key={label}
                type="button"
                className={`btn btn-sm ${picked === label ? "btn-primary" : "btn-outline-primary"}`}
                aria-pressed={picked === label}
                onClick={() => onPick(label)}
              >
                {index < 9 && <kbd className="me-1">{index + 1}</kbd>}
                {nameOf(label)}
              </button>
            ))}
          </div>
        </fieldset>
        {Object.keys(probabilities).length > 0 && (
          <div className="mt-3">
            <VegaChart
              spec={spec}
              label={`Probability of each class for ${item.filename}`}
              className="w-100"
            />
          </div>
        )}
      </div>
    </div>
  );
}

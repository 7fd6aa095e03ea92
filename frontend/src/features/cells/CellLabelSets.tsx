import { useMemo, useState } from "react";
import { useParams } from "react-router";
import { useCapabilities } from "../../shared/api/caseQueries";
import { useImageLabels, useLabelSets } from "../../shared/api/queries";
import type { CellResult } from "../../shared/api/types";
import { probabilitySpec } from "../../shared/charts/specs";
import { formatPercent } from "../../shared/classes";
import { useLabClassName } from "../../shared/classNames";
import { ClassLabel } from "../../shared/components/ClassLabel";
import { VegaChart } from "../../shared/components/VegaChart";
import { runnerUp } from "../../shared/runnerUp";
import { labelSetName } from "../label-sets/labelSets";
import { RefitStatus } from "../label-sets/RefitStatus";
import { CorrectionControls } from "./CorrectionControls";
import { LabelHistory } from "./LabelHistory";
import { RunnerUpNote } from "./RunnerUpNote";

export function CellLabelSets({ result, imageId }: { result: CellResult; imageId: string }) {
  const labelSets = Object.keys(result.labels ?? {});
  const [shown, setShown] = useState(result.label_set);
  const [lastChange, setLastChange] = useState<{ labelSet: string; id: string } | null>(null);
  const allSets = useLabelSets();
  const imageLabels = useImageLabels(imageId);
  const { projectId = "" } = useParams();
  const can = useCapabilities(projectId).data;
  const canLabel = can?.label === true;
  const classesOf = (name: string) =>
    allSets.data?.find((set) => set.name === name)?.classes ??
    Object.keys(result.probabilities?.[name] ?? {}).sort();
  const probabilities = result.probabilities?.[shown] ?? {};
  const nameOf = useLabClassName();
  const spec = useMemo(() => probabilitySpec(probabilities, nameOf), [probabilities, nameOf]);
  return (
    <>
      {lastChange && <RefitStatus key={lastChange.id} name={lastChange.labelSet} afterChange />}
      <div className="table-responsive">
        <table className="table table-sm mb-3 align-middle">
          <caption className="visually-hidden">Label for every label set, with corrections</caption>
          <thead>
            <tr>
              <th scope="col">Label set</th>
              <th scope="col">Label</th>
              <th scope="col">Probability</th>
              <th scope="col">Review</th>
            </tr>
          </thead>
          <tbody>
            {labelSets.map((labelSet) => {
              const label = result.labels[labelSet];
              const lab = imageLabels.data?.labels[labelSet];
              return (
                <tr
                  key={labelSet}
                  className={labelSet === shown ? "table-active" : undefined}
                  data-testid={`label-set-row-${labelSet}`}
                >
                  <th scope="row" className="fw-normal">
                    <button
                      type="button"
                      className="btn btn-link p-0 text-start"
                      onClick={() => setShown(labelSet)}
                    >
                      {labelSetName(labelSet)}
                    </button>
                    {labelSet === result.label_set && (
                      <span className="badge text-bg-light border ms-2">default</span>
                    )}
                  </th>
                  <td>
                    <ClassLabel label={label} swatch={labelSet === result.label_set} />
                    {lab && (
                      <div className="small text-success" data-testid="lab-label">
                        ✓ lab label: {nameOf(lab.label)} (set by {lab.username},{" "}
                        {new Date(lab.updated_at).toLocaleString()})
                      </div>
                    )}
                  </td>
                  <td>
                    {formatPercent(result.probabilities?.[labelSet]?.[label])}
                    <RunnerUpNote second={runnerUp(result.probabilities?.[labelSet], label)} />
                  </td>
                  <td>
                    {canLabel ? (
                      <CorrectionControls
                        imageId={imageId}
                        labelSet={labelSet}
                        predicted={label}
                        classes={classesOf(labelSet)}
                        needsReason={can?.label_needs_reason === true}
                        onChange={(set, id) => setLastChange({ labelSet: set, id })}
                      />
                    ) : (
                      <span className="small text-secondary">—</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <h3 className="h6">Label history</h3>
      <LabelHistory imageId={imageId} />
      <h3 className="h6 mt-3">Probabilities — {labelSetName(shown)}</h3>
      {Object.keys(probabilities).length > 0 ? (
        <VegaChart spec={spec} label={`Probability of each class for label set ${shown}`} className="w-100" />
      ) : (
        <p className="text-secondary">No probabilities for this label set.</p>
      )}
    </>
  );
}

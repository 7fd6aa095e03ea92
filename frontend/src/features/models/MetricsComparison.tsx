import { useId, useState } from "react";
import type { ModelVersion } from "../../shared/api/types";
import { compareMetrics, formatDelta, formatMetric, metricLabel } from "./models";

export function MetricsComparison({ models }: { models: ModelVersion[] }) {
  const leftId = useId();
  const rightId = useId();
  const active = models.find((model) => model.active) ?? models[0];
  const other = models.find((model) => model.version !== active.version);
  const [leftVersion, setLeftVersion] = useState(active.version);
  const [rightVersion, setRightVersion] = useState(other?.version ?? active.version);
  const [all, setAll] = useState(false);
  const left = models.find((model) => model.version === leftVersion) ?? active;
  const right = models.find((model) => model.version === rightVersion) ?? other ?? active;
  const single = left.version === right.version;
  const rows = compareMetrics(left.comparable_metrics, right.comparable_metrics, { headlineOnly: !all });

  const picker = (id: string, label: string, value: string, onChange: (version: string) => void) => (
    <div className="col-sm-5">
      <label htmlFor={id} className="form-label small">
        {label}
      </label>
      <select
        id={id}
        className="form-select"
        value={value}
        onChange={(event) => onChange(event.target.value)}
      >
        {models.map((model) => (
          <option key={model.version} value={model.version}>
            {model.version}
            {model.active ? " (active)" : ""}
          </option>
        ))}
      </select>
    </div>
  );

  return (
    <section className="card card-body mb-4" aria-labelledby="compare-title">
      <h2 className="h6" id="compare-title">
        {models.length > 1 ? "Compare metrics" : "Metrics"}
      </h2>
      <div className="row g-2 align-items-end mb-3">
        {picker(leftId, models.length > 1 ? "First version" : "Version", leftVersion, setLeftVersion)}
        {models.length > 1 && picker(rightId, "Second version", rightVersion, setRightVersion)}
        <div className="col-sm-2">
          <div className="form-check mb-2">
            <input
              id="compare-all"
              type="checkbox"
              className="form-check-input"
              checked={all}
              onChange={(event) => setAll(event.target.checked)}
            />
            <label htmlFor="compare-all" className="form-check-label">
              All metrics
            </label>
          </div>
        </div>
      </div>
      {rows.length === 0 ? (
        <p className="text-secondary mb-0">These bundles report no held-out metrics.</p>
      ) : (
        // Focusable so that keyboard users can scroll the long list.
        <section
          className="table-responsive"
          style={{ maxHeight: "28rem" }}
          aria-label="Metrics table"
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard
          tabIndex={0}
        >
          <table className="table table-sm align-middle mb-0" aria-labelledby="compare-title">
            <thead className="sticky-top">
              <tr>
                <th scope="col">Metric</th>
                <th scope="col" className="text-end">
                  {left.version}
                </th>
                {!single && (
                  <>
                    <th scope="col" className="text-end">
                      {right.version}
                    </th>
                    <th scope="col" className="text-end">
                      Difference
                    </th>
                  </>
                )}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.name}>
                  <th scope="row" className="fw-normal">
                    {metricLabel(row.name)}
                  </th>
                  <td className="text-end font-monospace">{formatMetric(row.left)}</td>
                  {!single && (
                    <>
                      <td className="text-end font-monospace">{formatMetric(row.right)}</td>
                      <td
                        className={`text-end font-monospace ${
                          row.delta === undefined || Math.abs(row.delta) < 1e-9
                            ? "text-secondary"
                            : row.delta > 0
                              ? "text-success"
                              : "text-danger"
                        }`}
                      >
                        {formatDelta(row)}
                      </td>
                    </>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {single && models.length > 1 && (
        <div className="form-text">Choose a different second version to see the differences.</div>
      )}
    </section>
  );
}

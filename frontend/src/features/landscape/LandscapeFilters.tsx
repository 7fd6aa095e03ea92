import { useLabClassName } from "../../shared/classNames";
import type { CellMark, LandscapeFilters as Filters } from "./landscapeView";
import { MarkSymbol } from "./MarkSymbol";

type Props = {
  filters: Filters;
  onChange: (filters: Filters) => void;
  classes: { label: string; cells: number; references: number }[];
  colours: Map<string, string>;
  marks: Record<CellMark, number>;
};

const MARK_WORDS: Record<Exclude<CellMark, "predicted">, string> = {
  flagged: "Highlight flagged cells",
  reviewed: "Highlight reviewed cells",
};

/** The landscape's legend as controls: tick classes to show, only the case, highlight flagged or reviewed cells. */
export function LandscapeFilters({ filters, onChange, classes, colours, marks }: Props) {
  const nameOf = useLabClassName();
  const hidden = new Set(filters.hidden);
  const toggleClass = (label: string, shown: boolean) =>
    onChange({
      ...filters,
      hidden: shown ? filters.hidden.filter((item) => item !== label) : [...filters.hidden, label],
    });
  const toggleMark = (mark: CellMark, on: boolean) =>
    onChange({
      ...filters,
      highlight: on ? [...filters.highlight, mark] : filters.highlight.filter((item) => item !== mark),
    });

  return (
    <div className="landscape-filters small">
      <fieldset className="mb-3">
        <legend className="fs-6 fw-semibold mb-1">Show</legend>
        <div className="form-check">
          <input
            className="form-check-input"
            type="checkbox"
            id="landscape-only-case"
            checked={filters.onlyThisCase}
            onChange={(event) => onChange({ ...filters, onlyThisCase: event.target.checked })}
          />
          <label className="form-check-label" htmlFor="landscape-only-case">
            Only this case (hide reference cells)
          </label>
        </div>
        {(["flagged", "reviewed"] as const).map((mark) => (
          <div className="form-check" key={mark}>
            <input
              className="form-check-input"
              type="checkbox"
              id={`landscape-highlight-${mark}`}
              checked={filters.highlight.includes(mark)}
              onChange={(event) => toggleMark(mark, event.target.checked)}
            />
            <label className="form-check-label" htmlFor={`landscape-highlight-${mark}`}>
              {MARK_WORDS[mark]} <MarkSymbol mark={mark} /> ({marks[mark]})
            </label>
          </div>
        ))}
        <p className="text-secondary mb-0 mt-1" data-testid="landscape-marks">
          <MarkSymbol mark="predicted" /> predicted · <MarkSymbol mark="flagged" /> flagged (low confidence,
          neighbours disagree or unusable) · <MarkSymbol mark="reviewed" /> reviewed by the lab
        </p>
      </fieldset>
      <fieldset>
        <legend className="fs-6 fw-semibold mb-1">Classes</legend>
        <div className="landscape-classes">
          {classes.map(({ label, cells, references }) => (
            <div className="form-check" key={label}>
              <input
                className="form-check-input"
                type="checkbox"
                id={`landscape-class-${label}`}
                checked={!hidden.has(label)}
                onChange={(event) => toggleClass(label, event.target.checked)}
              />
              <label className="form-check-label" htmlFor={`landscape-class-${label}`}>
                <span
                  className="class-swatch me-1"
                  style={{ background: colours.get(label) }}
                  aria-hidden="true"
                />
                {nameOf(label)}{" "}
                <span className="text-secondary">
                  ({cells} in case · {references} ref.)
                </span>
              </label>
            </div>
          ))}
        </div>
        <div className="d-flex gap-2 mt-2">
          <button
            type="button"
            className="btn btn-sm btn-outline-secondary"
            onClick={() => onChange({ ...filters, hidden: [] })}
            disabled={filters.hidden.length === 0}
          >
            All classes
          </button>
          <button
            type="button"
            className="btn btn-sm btn-outline-secondary"
            onClick={() => onChange({ ...filters, hidden: classes.map((item) => item.label) })}
          >
            None
          </button>
        </div>
      </fieldset>
    </div>
  );
}

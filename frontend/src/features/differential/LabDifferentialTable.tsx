import type { LabDifferential } from "../../shared/api/types";
import { classColour } from "../../shared/classes";

type Props = { differential: LabDifferential; nameOf: (code: string) => string };

const one = (value: number | null) => (value === null ? "—" : value.toFixed(1));
const two = (value: number | null) => (value === null ? "—" : value.toFixed(2));

/** White cells only: count, % of white cells, absolute count (with a WBC count), reviewed / not reviewed. */
export function LabDifferentialTable({ differential, nameOf }: Props) {
  const rows = differential.classes
    .filter((item) => item.category === "wbc")
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
  const absolute = differential.wbc_count !== null;
  return (
    <table className="table table-sm align-middle" data-testid="differential-table">
      <caption className="caption-top small text-secondary">
        White cells; percentages are of the {differential.white_cells} white cells.
      </caption>
      <thead>
        <tr>
          <th scope="col">Class</th>
          <th scope="col" className="text-end">
            Count
          </th>
          <th scope="col" className="text-end">
            % of WBC
          </th>
          {absolute && (
            <th scope="col" className="text-end">
              ×10⁹/L
            </th>
          )}
          <th scope="col" className="text-end">
            Reviewed
          </th>
          <th scope="col" className="text-end">
            Not reviewed
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((item) => (
          <tr key={item.code}>
            <td>
              <span className="class-label">
                <span
                  className="class-swatch"
                  style={{ background: classColour(item.code) }}
                  aria-hidden="true"
                />
                {nameOf(item.code)}
              </span>
            </td>
            <td className="text-end">{item.count}</td>
            <td className="text-end">{one(item.percentage)}</td>
            {absolute && <td className="text-end">{two(item.absolute)}</td>}
            <td className="text-end">{item.reviewed}</td>
            <td className="text-end">{item.not_reviewed}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr className="fw-semibold">
          <td>White cells</td>
          <td className="text-end">{differential.white_cells}</td>
          <td className="text-end">{differential.white_cells ? "100.0" : "0.0"}</td>
          {absolute && <td className="text-end">{two(differential.wbc_count)}</td>}
          <td className="text-end">{rows.reduce((sum, item) => sum + item.reviewed, 0)}</td>
          <td className="text-end">{rows.reduce((sum, item) => sum + item.not_reviewed, 0)}</td>
        </tr>
      </tfoot>
    </table>
  );
}

import type { LabDifferential } from "../../shared/api/types";

type Props = { differential: LabDifferential; nameOf: (code: string) => string };

/** Platelets and erythroblasts, counted apart from the white cells; NRBC per 100 white cells. */
export function OtherCellsTable({ differential, nameOf }: Props) {
  const nrbcName = nameOf(
    differential.classes.find((item) => item.category === "nrbc")?.code ?? "erythroblast",
  );
  const plateletName = nameOf(
    differential.classes.find((item) => item.category === "platelet")?.code ?? "platelet",
  );
  return (
    <table className="table table-sm align-middle" data-testid="other-cells-table">
      <caption className="caption-top small text-secondary">Counted apart, not in the percentages.</caption>
      <tbody>
        <tr>
          <th scope="row" className="fw-normal">
            {plateletName}
          </th>
          <td className="text-end">{differential.platelets}</td>
        </tr>
        <tr>
          <th scope="row" className="fw-normal">
            {nrbcName}
          </th>
          <td className="text-end">{differential.nrbc}</td>
        </tr>
        <tr>
          <th scope="row" className="fw-normal">
            NRBC per 100 WBC
          </th>
          <td className="text-end" data-testid="nrbc-per-100">
            {differential.nrbc_per_100_wbc === null ? "—" : differential.nrbc_per_100_wbc.toFixed(1)}
          </td>
        </tr>
      </tbody>
    </table>
  );
}

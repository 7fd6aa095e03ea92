import type { ResultsView, SortKey } from "./results";

export const SORTABLE: { key: SortKey; title: string }[] = [
  { key: "filename", title: "File" },
  { key: "label", title: "Predicted class" },
  { key: "confidence", title: "Confidence" },
  { key: "status", title: "Status" },
];

export function SortHeader({
  column,
  view,
  onSort,
}: {
  column: (typeof SORTABLE)[number];
  view: ResultsView;
  onSort: (key: SortKey) => void;
}) {
  const active = view.sort === column.key;
  return (
    <th scope="col" aria-sort={active ? (view.order === "asc" ? "ascending" : "descending") : "none"}>
      <button type="button" className="btn btn-link btn-sort p-0" onClick={() => onSort(column.key)}>
        {column.title}
        <span aria-hidden="true" className="ms-1">
          {active ? (view.order === "asc" ? "▲" : "▼") : "↕"}
        </span>
      </button>
    </th>
  );
}

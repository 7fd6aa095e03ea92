import type { CellMark } from "./landscapeView";

const PATHS: Record<CellMark, string> = {
  predicted: "M8 1.5 L14.5 8 L8 14.5 L1.5 8 Z",
  flagged: "M8 1.5 L14.8 14 L1.2 14 Z",
  reviewed: "M2.5 2.5 H13.5 V13.5 H2.5 Z",
};

/** The marker the map draws for a cell with this mark, for the legend (decorative: the words are beside it). */
export function MarkSymbol({ mark }: { mark: CellMark }) {
  return (
    <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" className="mark-symbol">
      <path d={PATHS[mark]} fill="#ffffff" stroke="#1b1b1b" strokeWidth="1.6" />
    </svg>
  );
}

import { useSearchParams } from "react-router";
import { DEFAULT_VIEW, type ResultsView, type SortKey } from "./results";

/** The filter and sort live in the URL, so a filtered view can be bookmarked and survives Back. */
export function useResultsView(): [ResultsView, (change: Partial<ResultsView>) => void] {
  const [params, setParams] = useSearchParams();
  const view: ResultsView = {
    label: params.get("class") ?? DEFAULT_VIEW.label,
    lowConfidenceOnly: params.get("low") === "1",
    changedOnly: params.get("changed") === "1",
    sort: (params.get("sort") as SortKey | null) ?? DEFAULT_VIEW.sort,
    order: params.get("order") === "desc" ? "desc" : "asc",
  };
  const update = (change: Partial<ResultsView>) => {
    const next = { ...view, ...change };
    const search = new URLSearchParams();
    if (next.label) search.set("class", next.label);
    if (next.lowConfidenceOnly) search.set("low", "1");
    if (next.changedOnly) search.set("changed", "1");
    if (next.sort !== DEFAULT_VIEW.sort) search.set("sort", next.sort);
    if (next.order !== DEFAULT_VIEW.order) search.set("order", next.order);
    setParams(search, { replace: true });
  };
  return [view, update];
}

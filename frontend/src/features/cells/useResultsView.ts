import { useSearchParams } from "react-router";
import { DEFAULT_VIEW, type ResultsView } from "./results";
import { tableView } from "./reviewOrder";

/** The filter and sort live in the URL, so a filtered view can be bookmarked and survives Back. */
export function useResultsView(): [ResultsView, (change: Partial<ResultsView>) => void] {
  const [params, setParams] = useSearchParams();
  const view = tableView(params);
  const update = (change: Partial<ResultsView>) => {
    const next = { ...view, ...change };
    const search = new URLSearchParams();
    const mode = params.get("view");
    if (mode) search.set("view", mode);
    if (next.label) search.set("class", next.label);
    if (next.lowConfidenceOnly) search.set("low", "1");
    if (next.changedOnly) search.set("changed", "1");
    if (next.sort !== DEFAULT_VIEW.sort) search.set("sort", next.sort);
    if (next.order !== DEFAULT_VIEW.order) search.set("order", next.order);
    setParams(search, { replace: true });
  };
  return [view, update];
}

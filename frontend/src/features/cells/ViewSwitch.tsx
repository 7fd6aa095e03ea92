import { useSearchParams } from "react-router";
import { type ViewMode, viewMode } from "./reviewOrder";

/** "Gallery | Table": the case's review view, kept in the URL (`view=table`) so a link opens the same view. */
export function ViewSwitch() {
  const [params, setParams] = useSearchParams();
  const mode = viewMode(params);
  const choose = (next: ViewMode) => {
    const search = new URLSearchParams(params);
    if (next === "table") search.set("view", "table");
    else search.delete("view");
    setParams(search);
  };
  return (
    <fieldset className="btn-group btn-group-sm" aria-label="Review view">
      {(["gallery", "table"] as const).map((item) => (
        <button
          key={item}
          type="button"
          className={`btn ${mode === item ? "btn-primary" : "btn-outline-primary"}`}
          aria-pressed={mode === item}
          onClick={() => choose(item)}
        >
          {item === "gallery" ? "Gallery" : "Table"}
        </button>
      ))}
    </fieldset>
  );
}

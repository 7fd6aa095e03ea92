import { describe, expect, it } from "vitest";
import { labClasses } from "../../shared/classNames";
import { classNames, imageSummary } from "../../test/factories";
import { cellSearch, reviewOrder, viewMode } from "./reviewOrder";

const { inReportOrder } = labClasses(classNames);
const gallery = { classes: ["lymphocyte", "neutrophil"], inReportOrder };
// Uploaded a, b, c, d; the gallery shows neutrophils (a, c) before lymphocytes (b, d).
const images = [
  imageSummary("a", { label: "neutrophil", confidence: 0.6, uploaded_at: "2026-12-01T10:00:00Z" }),
  imageSummary("b", { label: "lymphocyte", confidence: 0.9, uploaded_at: "2026-12-01T10:01:00Z" }),
  imageSummary("c", { label: "neutrophil", confidence: 0.8, uploaded_at: "2026-12-01T10:02:00Z" }),
  imageSummary("d", { label: "lymphocyte", confidence: 0.7, uploaded_at: "2026-12-01T10:03:00Z" }),
];
const order = (search: string, current = "a") =>
  reviewOrder(images, new URLSearchParams(search), current, gallery).map((image) => image.id);

describe("the order previous/next step through", () => {
  it("follows the gallery from the gallery", () => {
    expect(order("view=gallery")).toEqual(["a", "c", "b", "d"]);
  });

  it("follows the table's sort and filter from the table", () => {
    expect(order("view=table&sort=confidence&order=desc")).toEqual(["b", "c", "d", "a"]);
    expect(order("view=table&class=lymphocyte&sort=confidence", "b")).toEqual(["d", "b"]);
  });

  it("keeps the cell shown in the list when it no longer matches the filter (it was just corrected)", () => {
    expect(order("view=table&class=lymphocyte&sort=confidence", "c")).toEqual(["d", "c", "b"]);
  });

  it("falls back to upload order for a deep link", () => {
    expect(order("")).toEqual(["a", "b", "c", "d"]);
  });

  it("carries the view and its filter to a cell's link", () => {
    const params = new URLSearchParams("class=neutrophil&sort=confidence");
    expect(cellSearch(params, "table")).toBe("?class=neutrophil&sort=confidence&view=table");
    expect(viewMode(new URLSearchParams("view=table"))).toBe("table");
    expect(viewMode(new URLSearchParams(""))).toBe("gallery");
  });
});

import { describe, expect, it } from "vitest";
import type { ImageSummary } from "../../shared/api/types";
import { imageSummary } from "../../test/factories";
import { applyView, DEFAULT_VIEW } from "./results";

const cell = (id: string, label: string | null, confidence: number | null): ImageSummary =>
  imageSummary(id, {
    status: label ? "done" : "pending",
    label,
    confidence,
    changed: id === "4",
    uploaded_at: `2026-01-01T00:00:0${id}Z`,
  });

const cells = [
  cell("1", "neutrophil", 0.95),
  cell("2", "lymphocyte", 0.55),
  cell("3", null, null),
  cell("4", "neutrophil", 0.62),
];

describe("applyView", () => {
  it("keeps only cells whose class changed at the last refit", () => {
    expect(applyView(cells, { ...DEFAULT_VIEW, changedOnly: true }).map((c) => c.id)).toEqual(["4"]);
  });

  it("filters by class", () => {
    expect(applyView(cells, { ...DEFAULT_VIEW, label: "neutrophil" }).map((c) => c.id)).toEqual(["1", "4"]);
  });

  it("keeps only low-confidence cells", () => {
    expect(applyView(cells, { ...DEFAULT_VIEW, lowConfidenceOnly: true }).map((c) => c.id)).toEqual([
      "2",
      "4",
    ]);
  });

  it("sorts by confidence both ways, cells without a prediction last", () => {
    expect(applyView(cells, { ...DEFAULT_VIEW, sort: "confidence", order: "asc" }).map((c) => c.id)).toEqual([
      "2",
      "4",
      "1",
      "3",
    ]);
    expect(applyView(cells, { ...DEFAULT_VIEW, sort: "confidence", order: "desc" }).map((c) => c.id)).toEqual(
      ["1", "4", "2", "3"],
    );
  });

  it("sorts by class name", () => {
    expect(applyView(cells, { ...DEFAULT_VIEW, sort: "label" }).map((c) => c.label)).toEqual([
      "lymphocyte",
      "neutrophil",
      "neutrophil",
      null,
    ]);
  });
});

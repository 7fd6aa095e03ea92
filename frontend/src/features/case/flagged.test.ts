import { describe, expect, it } from "vitest";
import { imageSummary } from "../../test/factories";
import { flaggedCells } from "./flagged";

describe("flaggedCells", () => {
  it("lists unreviewed cells that are unusable or sent to a person, with why", () => {
    const flagged = flaggedCells([
      imageSummary("low", { label: "ig", confidence: 0.41, needs_review: true, neighbours_agree: 0.9 }),
      imageSummary("split", { label: "ig", confidence: 0.95, needs_review: true, neighbours_agree: 0.6 }),
      imageSummary("blank", { unusable: "blank image", needs_review: true }),
      imageSummary("confirmed", { unusable: "blank image", usable_confirmed: true }),
      imageSummary("reviewed", { needs_review: true, reviewed_label: "ig" }),
      imageSummary("fine", { confidence: 0.97 }),
      imageSummary("waiting", { status: "pending", needs_review: true }),
    ]);
    expect(flagged.map((cell) => [cell.image.id, cell.why])).toEqual([
      ["low", "low confidence (41%)"],
      ["split", "6 of 10 neighbours agree"],
      ["blank", "unusable: blank image"],
    ]);
  });
});

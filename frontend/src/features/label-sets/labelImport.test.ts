import { describe, expect, it } from "vitest";
import { ApiError } from "../../shared/api/errors";
import type { LabelImportRejected } from "../../shared/api/types";
import { importProblem, importRejected } from "../../test/factories";
import { checkImportFile, exportFileName, exportPath, importFailure, importResultWords } from "./labelImport";

describe("importResultWords", () => {
  it("counts imported and unchanged labels", () => {
    expect(importResultWords({ imported: 3, unchanged: 1 })).toBe("Imported 3 labels, 1 unchanged.");
    expect(importResultWords({ imported: 1, unchanged: 0 })).toBe("Imported 1 label, 0 unchanged.");
    expect(importResultWords({ imported: 0, unchanged: 2 })).toBe("Imported 0 labels, 2 unchanged.");
  });
});

describe("importFailure", () => {
  const rejected = (body: LabelImportRejected) => new ApiError(400, body.detail, body);

  it("lists the rows the server rejected, one per line, with the classes as a hint", () => {
    const body = importRejected([
      importProblem(3),
      importProblem(4, {
        column: "label",
        value: "blast",
        code: "unknown_class",
        message: "Line 4: 'blast' is not a class of 'reactive'",
      }),
    ]);
    expect(importFailure(rejected(body), "reactive")).toEqual({
      summary: "Nothing was imported: the CSV has problems.",
      problems: ["Line 3: there is no image nope", "Line 4: 'blast' is not a class of 'reactive'"],
      hint: "Classes of 'reactive': reactive lymphocyte, normal.",
    });
  });

  it("says how many more problems the server counted than it listed", () => {
    const body = importRejected([importProblem(2, { value: "a" }), importProblem(3, { value: "b" })], {
      problem_count: 6,
      classes: ["a", "b"],
    });
    const failure = importFailure(rejected(body), "x");
    expect(failure.problems).toEqual([
      "Line 2: there is no image a",
      "Line 3: there is no image b",
      "…and 4 more problems.",
    ]);
    expect(failure.hint).toBe("Classes of 'x': a, b.");
  });

  it("shows the server's words for each row as they are, whatever they contain", () => {
    const body = importRejected([importProblem(2, { value: "a; b. c" })]);
    expect(importFailure(rejected(body), "x").problems).toEqual(["Line 2: there is no image a; b. c"]);
  });

  it("says that nothing was imported for every other error, in the server's words", () => {
    expect(importFailure(new ApiError(400, "The CSV has no rows to import."), "x").summary).toBe(
      "Nothing was imported. The CSV has no rows to import.",
    );
    expect(
      importFailure(
        new ApiError(400, "The CSV needs the columns image_id and label (missing: label; found: id)."),
        "x",
      ),
    ).toEqual({
      summary:
        "Nothing was imported. The CSV needs the columns image_id and label (missing: label; found: id).",
      problems: [],
      hint: null,
    });
    expect(
      importFailure(new ApiError(403, "Only administrators can do this; ask an administrator."), "x").summary,
    ).toBe("Nothing was imported. Only administrators can do this; ask an administrator.");
    expect(importFailure(new TypeError("Failed to fetch"), "x").summary).toMatch(
      /^Nothing was imported\. Cannot reach the HemoSight server/,
    );
  });

  it("does not repeat 'Nothing was imported' when the server already said it", () => {
    expect(importFailure(new ApiError(400, "Nothing was imported: the file is odd."), "x").summary).toBe(
      "Nothing was imported: the file is odd.",
    );
  });
});

describe("checkImportFile", () => {
  it("accepts a CSV and explains empty, huge and non-CSV files", () => {
    expect(checkImportFile({ name: "labels.csv", size: 100 })).toBeNull();
    expect(checkImportFile({ name: "LABELS.CSV", size: 100 })).toBeNull();
    expect(checkImportFile({ name: "labels.csv", size: 0 })).toMatch(/empty/);
    expect(checkImportFile({ name: "labels.csv", size: 21 * 1024 * 1024 })).toMatch(/too large: 21\.0 MB/);
    expect(checkImportFile({ name: "labels.xlsx", size: 100 })).toMatch(/not a CSV file/);
  });
});

describe("export", () => {
  it("asks for one label set or all, under a readable file name", () => {
    expect(exportPath()).toBe("/api/v1/labels/export");
    expect(exportPath("cell_type")).toBe("/api/v1/labels/export?label_set=cell_type");
    expect(exportPath("a b&c")).toBe("/api/v1/labels/export?label_set=a%20b%26c");
    expect(exportFileName()).toBe("label-history.csv");
    expect(exportFileName("reactive.v2")).toBe("label-history-reactive.v2.csv");
    expect(exportFileName("a/b")).toBe("label-history-a_b.csv");
  });
});

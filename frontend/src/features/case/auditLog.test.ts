import { describe, expect, it } from "vitest";
import type { AuditEntry } from "../../shared/api/types";
import { describeAudit } from "./auditLog";

const base: AuditEntry = {
  id: "e1",
  action: "set",
  username: "rita",
  created_at: "2026-11-23T10:00:00Z",
  reason: "nucleus folded",
  image_id: "a",
  filename: "cell-001.png",
  label_set: "cell_type",
  previous_label: "neutrophil",
  label: "ig",
};
const nameOf = (code: string) => ({ ig: "Immature granulocyte", neutrophil: "Neutrophil" })[code] ?? code;

describe("describeAudit", () => {
  it("says which cell changed from what to what, in the lab's class names", () => {
    expect(describeAudit(base, nameOf)).toBe("cell-001.png, cell type: Neutrophil → Immature granulocyte");
    expect(describeAudit({ ...base, action: "confirm", previous_label: null, label: "ig" }, nameOf)).toBe(
      "cell-001.png, cell type: confirmed Immature granulocyte",
    );
    expect(describeAudit({ ...base, action: "undo", previous_label: "ig", label: null }, nameOf)).toBe(
      "cell-001.png, cell type: change undone, Immature granulocyte → no label",
    );
  });

  it("names sign-off and reopening", () => {
    expect(describeAudit({ ...base, action: "sign_off", image_id: null }, nameOf)).toBe("Signed off");
    expect(describeAudit({ ...base, action: "reopen", image_id: null }, nameOf)).toBe("Reopened for review");
  });
});

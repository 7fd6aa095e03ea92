import { describe, expect, it } from "vitest";
import { ApiError, detailMessage, errorMessage } from "./errors";

describe("error messages", () => {
  it("uses the backend's words", () => {
    expect(detailMessage({ detail: "Project not found." }, 404)).toBe("Project not found.");
    expect(detailMessage({ detail: [{ loc: ["body", "name"], msg: "too short" }] }, 422)).toBe(
      "name: too short",
    );
  });

  it("has words for answers without a detail and for network failures", () => {
    expect(detailMessage(null, 502)).toMatch(/server had a problem/);
    expect(errorMessage(new TypeError("Failed to fetch"))).toMatch(/Cannot reach/);
    expect(errorMessage(new ApiError(403, "Only administrators can do this."))).toBe(
      "Only administrators can do this.",
    );
  });
});

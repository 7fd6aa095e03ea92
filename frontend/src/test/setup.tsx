import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach, vi } from "vitest";
import { session } from "../shared/api/session";

// Vega needs a real canvas: every component test sees a chart as an image with its accessible label.
vi.mock("../shared/components/VegaChart", () => ({
  VegaChart: ({ label }: { label: string }) => <div role="img" aria-label={label} />,
}));

afterEach(() => {
  cleanup();
  session.end(null);
  localStorage.clear();
  vi.unstubAllGlobals();
});

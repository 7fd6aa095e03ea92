// Accessibility and layout checks for the e2e suite: axe-core's WCAG 2 A/AA rules and horizontal overflow.
import { join } from "node:path";
import { repo } from "./server.mjs";

const AXE = join(repo, "frontend", "node_modules", "axe-core", "axe.min.js");

/**
 * axe-core's serious and critical WCAG 2 A/AA violations on the page as it is now, one readable line each.
 * The page's context must bypass the Content-Security-Policy: axe is injected as an inline script.
 */
export async function seriousViolations(page) {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] },
      resultTypes: ["violations"],
    });
    // One line per rule and element, with axe's reason cut to its facts (e.g. the two colours and the ratio).
    const lines = [];
    for (const violation of result.violations) {
      if (violation.impact !== "serious" && violation.impact !== "critical") continue;
      for (const node of violation.nodes) {
        const why = (node.any[0] ?? node.all[0] ?? node.none[0])?.message ?? node.failureSummary ?? "";
        const html = node.html.replace(/\s+/g, " ").slice(0, 90);
        lines.push(`${violation.id} [${violation.impact}] ${node.target.join(" ")} ${html} — ${why}`);
      }
    }
    return lines;
  });
}

/**
 * What sticks out sideways at the current viewport: the document wider than the window, or a button that
 * is cut off by the window's edge or by an ancestor that hides or scrolls its overflow.
 */
export async function horizontalOverflow(page) {
  return page.evaluate(() => {
    const problems = [];
    const width = window.innerWidth;
    const scrollWidth = document.documentElement.scrollWidth;
    if (scrollWidth > width) problems.push(`the page is ${scrollWidth} px wide in a ${width} px window`);
    const name = (element) =>
      `${element.tagName.toLowerCase()} "${(element.getAttribute("aria-label") || element.textContent || "").trim().slice(0, 40)}"`;
    for (const button of document.querySelectorAll("button, a.btn, .btn")) {
      const box = button.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) continue; // not displayed
      if (button.closest(".visually-hidden, .visually-hidden-focusable")) continue;
      if (box.left < -0.5 || box.right > width + 0.5) {
        problems.push(`${name(button)} reaches ${Math.round(box.left)}–${Math.round(box.right)} px`);
        continue;
      }
      for (
        let parent = button.parentElement;
        parent && parent !== document.body;
        parent = parent.parentElement
      ) {
        const overflowX = getComputedStyle(parent).overflowX;
        if (overflowX === "visible") continue;
        const frame = parent.getBoundingClientRect();
        if (box.left < frame.left - 0.5 || box.right > frame.right + 0.5) {
          problems.push(
            `${name(button)} is cut off by a ${parent.tagName.toLowerCase()}.${parent.className}`,
          );
          break;
        }
      }
    }
    return problems;
  });
}

// Fails when a component file (.tsx under src/) is longer than MAX_LINES: a long component is several
// components, or a component with a state machine that belongs in a hook. Run by `npm run lint`.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const MAX_LINES = 250;
const frontend = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(frontend, "src");

function* tsxFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* tsxFiles(path);
    else if (entry.name.endsWith(".tsx")) yield path;
  }
}

const tooLong = [];
let longest = { path: "", lines: 0 };
for (const path of tsxFiles(src)) {
  const text = readFileSync(path, "utf8");
  const lines = text.endsWith("\n") ? text.split("\n").length - 1 : text.split("\n").length;
  if (lines > longest.lines) longest = { path, lines };
  if (lines > MAX_LINES) tooLong.push(`${relative(frontend, path)}: ${lines} lines`);
}
if (tooLong.length > 0) {
  console.error(
    `Component files over ${MAX_LINES} lines (split them by component, or move state into a hook):`,
  );
  for (const line of tooLong) console.error(`  ${line}`);
  process.exit(1);
}
console.log(
  `.tsx sizes: all within ${MAX_LINES} lines (longest ${relative(frontend, longest.path)}, ${longest.lines}).`,
);

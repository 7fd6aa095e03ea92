// Fails when src/shared/api/schema.d.ts is not what openapi-typescript makes of the committed
// openapi.json (the backend's schema; tests/backend/test_openapi_committed.py checks that one).
// Run by `npm run check-api` in scripts/test.sh; fix with `npm run generate-api`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const frontend = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const committed = join(frontend, "src", "shared", "api", "schema.d.ts");
const scratch = mkdtempSync(join(tmpdir(), "hemosight-api-types-"));
const generated = join(scratch, "schema.d.ts");
try {
  execFileSync(
    process.execPath,
    [
      join(frontend, "node_modules", "openapi-typescript", "bin", "cli.js"),
      join(frontend, "openapi.json"),
      "-o",
      generated,
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const want = readFileSync(generated, "utf8");
  const have = readFileSync(committed, "utf8");
  if (want !== have) {
    const wantLines = want.split("\n");
    const haveLines = have.split("\n");
    const first = wantLines.findIndex((line, i) => line !== haveLines[i]);
    console.error(
      `src/shared/api/schema.d.ts is not generated from openapi.json (first difference at line ${first + 1}:\n` +
        `  committed: ${haveLines[first] ?? "(end of file)"}\n  generated: ${wantLines[first] ?? "(end of file)"}).\n` +
        "Run `npm run generate-api` and commit openapi.json and src/shared/api/schema.d.ts.",
    );
    process.exit(1);
  }
  console.log("src/shared/api/schema.d.ts matches openapi.json.");
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

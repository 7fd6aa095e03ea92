// Regenerates src/shared/api/schema.d.ts from the backend's OpenAPI schema.
//
// Where openapi.json comes from, in order:
//   1. `npm run generate-api -- --url http://127.0.0.1:8000/api/v1/openapi.json` (a running server);
//   2. backend/hemosight/api/main.py, when it exists, through the project's Python (create_app().openapi());
//   3. the checked-in frontend/openapi.json as it is.
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const frontend = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(frontend, "..");
const schemaFile = join(frontend, "openapi.json");

async function fetchSchema(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return JSON.stringify(await response.json(), null, 2);
}

function dumpFromBackend() {
  const venvPython = join(repo, ".venv", "bin", "python");
  const python = existsSync(venvPython) ? venvPython : "python3";
  const snippet =
    "import json; from hemosight.api.main import create_app; print(json.dumps(create_app().openapi(), indent=2))";
  return execFileSync(python, ["-c", snippet], {
    cwd: repo,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    // the `hemosight` namespace lives in four folders (setup.py)
    env: {
      ...process.env,
      PYTHONPATH: [".", "models", "backend", "worker"].map((h) => join(repo, h)).join(":"),
    },
  });
}

const urlFlag = process.argv.indexOf("--url");
const url = urlFlag >= 0 ? process.argv[urlFlag + 1] : process.env.HEMOSIGHT_OPENAPI_URL;
if (url) {
  writeFileSync(schemaFile, `${(await fetchSchema(url)).trim()}\n`);
  console.log(`openapi.json fetched from ${url}`);
} else if (existsSync(join(repo, "backend", "hemosight", "api", "main.py"))) {
  writeFileSync(schemaFile, `${dumpFromBackend().trim()}\n`);
  console.log("openapi.json written from hemosight.api.main.create_app()");
} else {
  console.log("backend/hemosight/api/main.py not found: using the checked-in openapi.json");
}

execFileSync(
  process.execPath,
  [
    join(frontend, "node_modules", "openapi-typescript", "bin", "cli.js"),
    schemaFile,
    "-o",
    join(frontend, "src", "shared", "api", "schema.d.ts"),
  ],
  { stdio: "inherit" },
);

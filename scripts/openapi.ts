import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { buildOpenApiDocument } from '../functions/api/openapi';

/**
 * `npm run openapi`: writes `docs/openapi.yaml` from the API contract (`functions/core/api-contract.ts`);
 * `npm run openapi -- --check` exits 1 when the checked-in document is stale.
 */

/** Where the document is checked in. */
export const OPENAPI_FILE = fileURLToPath(new URL('../docs/openapi.yaml', import.meta.url));

/** The document as YAML, exactly as checked in. */
export function renderOpenApiYaml(): string {
  const header = '# Generated from functions/core/api-contract.ts by `npm run openapi`. Do not edit by hand.\n';
  return header + stringify(buildOpenApiDocument(), { lineWidth: 0, aliasDuplicateObjects: false });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rendered = renderOpenApiYaml();
  if (process.argv.includes('--check')) {
    const stale = readFileSync(OPENAPI_FILE, 'utf8') !== rendered;
    console.log(stale ? 'docs/openapi.yaml is stale: run `npm run openapi`' : 'docs/openapi.yaml is up to date');
    process.exitCode = stale ? 1 : 0;
  } else {
    writeFileSync(OPENAPI_FILE, rendered);
    console.log('wrote docs/openapi.yaml');
  }
}

import path from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, getFunction, permissionsOf, type SecretId } from '../../functions/catalog';
import { CUSTOMER_STORES } from '../../functions/core/data-map';
import { PROJECT_ROOT } from '../../infra/dsr-stack';

/**
 * Grants derived from what the code does: the secrets each function reads (from its bundled code), the
 * status events of every ledger writer, and `build-volume`'s reach into every file store.
 */

/** The bundled code of each catalog entry, tree-shaken: an import of an unused export contributes nothing. */
async function bundles(): Promise<Map<string, string>> {
  const entries = [...new Set(FUNCTIONS.map((spec) => spec.entry))];
  const result = await build({
    entryPoints: entries.map((entry) => path.join(PROJECT_ROOT, entry)),
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    outdir: 'out',
    packages: 'external',
    logLevel: 'silent',
  });
  const code = new Map(result.outputFiles.map((file) => [path.relative(PROJECT_ROOT, file.path), file.text]));
  return new Map(
    Object.entries(result.metafile.outputs)
      .filter(([, output]) => output.entryPoint)
      .map(([file, output]) => [output.entryPoint!, code.get(file) ?? '']),
  );
}

/** The secrets a bundle reads: `*.DSR_HASH_KEY` (keyed hashes) and `*.DSR_CALLBACK_SECRET` property reads. */
function secretsRead(code: string): SecretId[] {
  return [
    ...(/\.DSR_HASH_KEY\b/.test(code) ? (['hash-key'] as const) : []),
    ...(/\.DSR_CALLBACK_SECRET\b/.test(code) ? (['callback-secret'] as const) : []),
  ];
}

describe('catalog grants derived from the code', () => {
  let code: Map<string, string>;
  beforeAll(async () => {
    code = await bundles();
  });

  it('declares for each function exactly the secrets its code reads', () => {
    // Act
    const mismatches = FUNCTIONS.flatMap((spec) => {
      const read = secretsRead(code.get(spec.entry) ?? '');
      const declared = [...(spec.secrets ?? [])].sort();
      return JSON.stringify(read) === JSON.stringify(declared) ? [] : [`${spec.id}: reads ${read.join(',') || 'none'}, declares ${declared.join(',') || 'none'}`];
    });

    // Assert
    expect(mismatches).toEqual([]);
    expect(getFunction('deliver-callback').secrets).toEqual(['callback-secret']);
    expect(FUNCTIONS.filter((spec) => spec.secrets?.includes('callback-secret')).map((spec) => spec.id)).toEqual(['deliver-callback']);
  });

  it('lets every function that writes the ledger put status events, and no ledger reader', () => {
    // Act
    const writers = FUNCTIONS.filter((spec) => spec.stores.some((grant) => grant.store === 'request-ledger' && grant.access !== 'read' && grant.access !== 'describe'));

    // Assert
    expect(writers.map((spec) => spec.id)).toContain('api');
    for (const spec of writers) expect(permissionsOf(spec)).toContain('put-events');
    expect(permissionsOf(getFunction('check-deadlines'))).not.toContain('put-events');
  });

  it('lets build-volume read every file store of the data map', () => {
    // Act
    const fileStores = CUSTOMER_STORES.filter((store) => store.holdsFiles).map((store) => store.id);
    const reads = getFunction('build-volume').stores.filter((grant) => grant.access === 'read').map((grant) => grant.store);

    // Assert
    expect(fileStores.length).toBeGreaterThan(0);
    for (const store of fileStores) expect(reads).toContain(store);
  });
});

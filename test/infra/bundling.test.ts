import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/catalog';
import { tracingEnvironment } from '../../functions/shared/tracing';
import { PROJECT_ROOT } from '../../infra/dsr-stack';
import { FUNCTION_BUNDLING } from '../../infra/functions';

/** The bundle keeps the error class names that Step Functions Retry and Catch match on. */

/** Bundles a probe that prints the names of two named errors, with the given options, and evaluates it. */
async function errorNamesAfterBundling(keepNames: boolean): Promise<string[]> {
  const result = await build({
    stdin: {
      contents: "import { StoreUnavailable, ErasureVerificationFailed } from './functions/core/errors';\nexport const names = [new StoreUnavailable('x').name, new ErasureVerificationFailed('x').name];",
      resolveDir: PROJECT_ROOT,
      loader: 'ts',
    },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    minify: true,
    keepNames,
  });
  const module = (await import(`data:text/javascript;base64,${Buffer.from(result.outputFiles[0]!.text).toString('base64')}`)) as { names: string[] };
  return module.names;
}

describe('function bundling', () => {
  it('keeps class names, so a minified bundle still throws errors Retry and Catch recognise', async () => {
    // Act
    const kept = await errorNamesAfterBundling(FUNCTION_BUNDLING.keepNames ?? false);
    const mangled = await errorNamesAfterBundling(false);

    // Assert
    expect(FUNCTION_BUNDLING.keepNames).toBe(true);
    expect(kept).toEqual(['StoreUnavailable', 'ErasureVerificationFailed']);
    expect(mangled).not.toEqual(kept);
  });

  it('keeps the X-Ray SDK and its async hooks out of a function that traces its invocation only, and loads them in the others', async () => {
    // Arrange: the real entries bundled as the stack bundles them, each loaded in a process of its own with its catalog environment
    const dir = await mkdtemp(join(tmpdir(), 'dsr-bundle-'));
    /** The cls-hooked namespaces (the X-Ray SDK creates `AWSXRay` when it loads) after loading a function's bundle. */
    const namespacesAfterLoading = async (id: string): Promise<string[]> => {
      const spec = FUNCTIONS.find((candidate) => candidate.id === id)!;
      const outfile = join(dir, `${id}.mjs`);
      await build({
        entryPoints: [join(PROJECT_ROOT, spec.entry)],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: FUNCTION_BUNDLING.target,
        keepNames: FUNCTION_BUNDLING.keepNames,
        mainFields: FUNCTION_BUNDLING.mainFields,
        banner: { js: FUNCTION_BUNDLING.banner! },
        logLevel: 'silent',
      });
      const probe = `await import(${JSON.stringify(outfile)}); console.log(JSON.stringify(Object.keys(process.namespaces ?? {})));`;
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', probe], { env: { ...process.env, ...tracingEnvironment(spec.tracing) } });
      return JSON.parse(stdout.trim().split('\n').at(-1)!) as string[];
    };

    try {
      // Act
      const builder = await namespacesAfterLoading('build-volume');
      const finalizer = await namespacesAfterLoading('finalize-export');

      const builderBundle = await readFile(join(dir, 'build-volume.mjs'), 'utf8');

      // Assert
      expect(FUNCTIONS.find((spec) => spec.id === 'build-volume')!.tracing).toBe('invocation');
      expect(builderBundle).toContain('crc-32-zlib needs zlib.crc32'); // archiver's CRC-32 is zlib's (packages/crc-32)
      expect(builder).toEqual([]);
      expect(finalizer).toEqual(['AWSXRay']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

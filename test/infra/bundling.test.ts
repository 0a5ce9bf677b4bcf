import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
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
});

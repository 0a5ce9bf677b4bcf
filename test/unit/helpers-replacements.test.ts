import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Replacements } from './helpers/replacements';

const ROOT = resolve(import.meta.dirname, '../..');

describe('Replacements', () => {
  it('applies a replacement at once and undoes every one, last first', async () => {
    const log: string[] = [];
    const replacements = new Replacements();

    replacements.replace(() => log.push('apply a'), () => void log.push('undo a'));
    replacements.replace(() => log.push('apply b'), () => void log.push('undo b'));
    const pendingBefore = replacements.pending;
    await replacements.restoreAll();

    expect(pendingBefore).toBe(2);
    expect(log).toEqual(['apply a', 'apply b', 'undo b', 'undo a']);
    expect(replacements.pending).toBe(0);
  });

  it('sets an environment variable and puts back its old value, or removes one that was not set', async () => {
    // Arrange
    process.env.DSR_TEST_SET = 'before';
    delete process.env.DSR_TEST_UNSET;
    const replacements = new Replacements();

    // Act
    replacements.setEnv('DSR_TEST_SET', 'during');
    replacements.setEnv('DSR_TEST_UNSET', 'during');
    const during = [process.env.DSR_TEST_SET, process.env.DSR_TEST_UNSET];
    await replacements.restoreAll();

    // Assert
    expect(during).toEqual(['during', 'during']);
    expect(process.env.DSR_TEST_SET).toBe('before');
    expect('DSR_TEST_UNSET' in process.env).toBe(false);
    delete process.env.DSR_TEST_SET;
  });

  it('fakes the clock at a given instant while timers stay real, and puts the real clock back', async () => {
    // Arrange
    const replacements = new Replacements();

    // Act
    replacements.setClock('2026-02-03T04:05:06.000Z');
    const during = new Date().toISOString();
    const timerFired = await new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 1));
    await replacements.restoreAll();

    // Assert
    expect(during).toBe('2026-02-03T04:05:06.000Z');
    expect(timerFired).toBe(true);
    expect(Math.abs(Date.now() - performance.timeOrigin - performance.now())).toBeLessThan(1000);
  });

  it('runs every undo when one throws, then throws the first error', async () => {
    const undone: string[] = [];
    const replacements = new Replacements();
    replacements.replace(() => {}, () => void undone.push('a'));
    replacements.replace(() => {}, () => {
      throw new Error('undo b failed');
    });
    replacements.replace(() => {}, async () => {
      throw new Error('undo c failed');
    });

    const restoring = replacements.restoreAll();

    await expect(restoring).rejects.toThrow('undo c failed');
    expect(undone).toEqual(['a']);
    expect(replacements.pending).toBe(0);
  });

  it('undoes a fake after a failing test, so the next test sees the real one (nested vitest run)', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'dsr-replacements-'));
    const outputFile = join(outDir, 'report.json');
    try {
      await promisify(execFile)(
        process.execPath,
        [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'test/fixtures/replacements/vitest.config.ts', '--reporter=json', `--outputFile=${outputFile}`],
        { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' } },
      ).catch((error: { code?: number }) => {
        if (error.code !== 1) throw error;
      });
      const report = JSON.parse(await readFile(outputFile, 'utf8')) as { testResults: { assertionResults: { title: string; status: string }[] }[] };

      const outcomes = report.testResults.flatMap((file) => file.assertionResults.map((test) => [test.title, test.status]));

      expect(outcomes).toEqual([
        ['fails while a fake is in place', 'failed'],
        ['sees the real handler again', 'passed'],
      ]);
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  }, 60_000);
});

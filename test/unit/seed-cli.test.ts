import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readEndpoints } from '../../cli/aws';
import { buildProgram, main } from '../../cli/dsr';
import { parseCount } from '../../cli/parse';

/** The `dsr` CLI skeleton and its `seed` argument handling (no AWS reached: every case fails before). */

describe('dsr seed arguments', () => {
  let dir: string;
  let errors: string[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dsr-cli-'));
    errors = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      errors.push(String(chunk));
      return true;
    });
    vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    [['seed', '--customer', 'c1', '--brand', 'acme'], /argument 'acme' is invalid. Allowed choices are albelli/],
    [['seed', '--customer', 'c1/x', '--brand', 'albelli'], /--customer <id>' argument 'c1\/x' is invalid/],
    [['seed', '--customer', 'c1', '--brand', 'albelli', '--photos', '-3'], /--photos <n>' argument '-3' is invalid/],
    [['seed', '--customer', 'c1'], /give --demo, or both --customer <id> and --brand <brand>/],
    [['seed', '--demo', '--customer', 'c1'], /--demo cannot be combined/],
    [['seed', '--bogus'], /unknown option '--bogus'/],
    [['sede'], /unknown command 'sede'/],
  ])('rejects %j with a clear error and a non-zero exit code', async (args, message) => {
    // Act
    await main(['node', 'dsr', ...args, '--data-dir', dir]);

    // Assert
    expect(process.exitCode).toBe(1);
    expect(errors.join('')).toMatch(message);
  });

  it('explains how to start the local pipeline when endpoints.json is missing', async () => {
    // Act
    await main(['node', 'dsr', 'seed', '--demo', '--data-dir', dir]);

    // Assert
    expect(process.exitCode).toBe(1);
    expect(errors.join('')).toContain(`dsr: ${join(dir, 'endpoints.json')} not found: start the local pipeline with \`npm start\``);
  });

  it('rejects an endpoints file without the service endpoints', async () => {
    // Arrange
    await writeFile(join(dir, 'endpoints.json'), JSON.stringify({ region: 'eu-west-1' }));

    // Act
    const reading = readEndpoints(dir);

    // Assert
    await expect(reading).rejects.toThrow(/not a valid endpoints file: s3: .*dynamodb: /);
  });
});

describe('dsr program', () => {
  it('runs from bin/dsr.mjs and exits non-zero on bad arguments', () => {
    // Act
    const run = spawnSync(process.execPath, [join(import.meta.dirname, '../../bin/dsr.mjs'), 'seed', '--customer', 'c1', '--brand', 'acme'], { encoding: 'utf8', timeout: 60_000 });

    // Assert
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("argument 'acme' is invalid");
  });

  it('registers one command per file under commands/, including seed with its options', () => {
    // Act
    const program = buildProgram();

    // Assert
    const seed = program.commands.find((command) => command.name() === 'seed');
    expect(seed).toBeDefined();
    expect(seed!.options.map((option) => option.long)).toEqual(
      expect.arrayContaining(['--demo', '--customer', '--brand', '--photos', '--photo-bytes', '--orders', '--contacts', '--data-dir', '--aws']),
    );
  });
});

describe('parseCount', () => {
  it.each([
    ['0', 0],
    ['42', 42],
    ['2K', 2048],
    ['5m', 5 * 1024 * 1024],
    ['3G', 3 * 1024 ** 3],
  ])('reads %s as %i', (text, expected) => {
    expect(parseCount(text)).toBe(expected);
  });

  it.each(['', '-1', '1.5', 'ten', '2T'])('rejects %j', (text) => {
    expect(() => parseCount(text)).toThrow(InvalidArgumentError);
  });
});

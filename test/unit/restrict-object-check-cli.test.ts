import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildProgram, main } from '../../cli/dsr';

/** `dsr restrict`, `dsr object`, `dsr check-suppression` and `dsr check-processing` argument handling (no API reached: every case fails before a request is sent). */

describe('dsr restriction, objection and check commands', () => {
  let errors: string[];
  const fetchSpy = vi.fn();

  beforeEach(() => {
    errors = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      errors.push(String(chunk));
      return true;
    });
    vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    vi.stubGlobal('fetch', fetchSpy);
  });

  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllGlobals();
    fetchSpy.mockReset();
    process.exitCode = undefined;
  });

  it('registers the four commands', () => {
    const names = buildProgram().commands.map((command) => command.name());

    expect(names).toEqual(expect.arrayContaining(['restrict', 'object', 'check-suppression', 'check-processing']));
  });

  const API = ['--api', 'http://127.0.0.1:9'];
  it.each([
    [['restrict', 'c1', '--brand', 'albelli', '--scope', 'marketing', ...API], /invalid request body[\s\S]*is required to restrict[\s\S]*ground/],
    [['restrict', 'c1', '--brand', 'albelli', '--scope', 'email', '--ground', 'legal-claims', ...API], /--scope.*email.*all, marketing, smart-creation|Allowed choices are all, marketing, smart-creation/s],
    [['restrict', 'c/1', '--brand', 'albelli', '--lift', ...API], /customerId.*must match/],
    [['object', 'c1', '--brand', 'albelli', ...API], /--purpose/],
    [['object', 'c1', '--brand', 'albelli', '--purpose', 'profiling', ...API], /direct-marketing, smart-creation/],
    [['check-suppression', ...API], /invalid suppression check[\s\S]*give at least one email or phone/],
    [['check-suppression', '--email', 'nope', ...API], /invalid suppression check[\s\S]*must be an email address/],
    [['check-processing', 'c1', '--purpose', 'tracking', ...API], /marketing, smart-creation/],
    [['check-processing', 'c1', ...API], /--purpose/],
  ])('fails %j naming the problem, sending nothing', async (args, message) => {
    await main(['node', 'dsr', ...args]);

    expect(process.exitCode).toBeGreaterThan(0);
    expect(errors.join('')).toMatch(message);
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});

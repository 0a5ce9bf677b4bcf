import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/dsr';

/** `dsr list`: the due flag of each line follows the deadline check's rule per type (5 days; 24 hours for a consent withdrawal). */

describe('dsr list', () => {
  let lines: string[];
  const fetchSpy = vi.fn();

  beforeEach(() => {
    lines = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    vi.stubGlobal('fetch', fetchSpy);
  });

  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllGlobals();
    fetchSpy.mockReset();
    process.exitCode = undefined;
  });

  /** A request view as the API lists it, due `hours` from now. */
  const view = (requestId: string, type: string, status: string, hours: number) => ({
    requestId,
    type,
    brand: 'fotoknudsen',
    status,
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    dueAt: new Date(Date.now() + hours * 3_600_000).toISOString(),
    stores: [],
  });

  it('flags a consent withdrawal due soon only within 24 hours, every other type within 5 days, and a final request never', async () => {
    // Arrange
    const items = [
      view('withdrawal-48h', 'consent-withdrawal', 'pending', 48),
      view('withdrawal-12h', 'consent-withdrawal', 'in_progress', 12),
      view('withdrawal-late', 'consent-withdrawal', 'failed', -1),
      view('export-4d', 'export', 'pending', 4 * 24),
      view('export-6d', 'export', 'pending', 6 * 24),
      view('export-done-late', 'export', 'completed', -1),
    ];
    fetchSpy.mockResolvedValue(new Response(JSON.stringify({ items }), { status: 200, headers: { 'content-type': 'application/json' } }));

    // Act
    await main(['node', 'dsr', 'list', '--api', 'http://127.0.0.1:9']);

    // Assert
    const flagOf = (requestId: string) => lines.find((line) => line.startsWith(requestId))!.replace(/^.*Z/, '');
    expect(process.exitCode ?? 0).toBe(0);
    const dueColumn = (line: string) => line.search(/\d{4}-\d{2}-\d{2}T|DUE/);
    expect(new Set(lines.filter((line) => !line.includes('request(s)')).map(dueColumn)).size).toBe(1);
    expect(items.map((item) => [item.requestId, flagOf(item.requestId)])).toEqual([
      ['withdrawal-48h', ''],
      ['withdrawal-12h', '  due soon'],
      ['withdrawal-late', '  OVERDUE'],
      ['export-4d', '  due soon'],
      ['export-6d', ''],
      ['export-done-late', ''],
    ]);
  });
});

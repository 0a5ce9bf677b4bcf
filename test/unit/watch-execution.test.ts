import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { SFNClient } from '@aws-sdk/client-sfn';
import { spawn as spawnPty } from '@lydell/node-pty';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { formatElapsed, progressTable, watchExecution } from '../../cli/watch-execution';
import { ARN, recordingStream, START, twoPolls } from './helpers/watch-fakes';

/** The CLI's live per-store table: redrawn in place on a terminal, plain lines otherwise. */

const sfnMock = mockClient(SFNClient);
afterEach(() => sfnMock.reset());

const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

describe('dsr --wait progress table', () => {
  it('aligns the per-store columns, numbers to the right, and shows waiting stores', () => {
    // Act
    const lines = progressTable({
      requestId: 'r1',
      type: 'export',
      status: 'in_progress',
      state: 'Collect Stores',
      elapsedMs: 83_200,
      stores: [
        { store: 'orders', phase: 'collect', status: 'completed', items: 1234, bytes: 2_500_000, elapsedMs: 2_250 },
        { store: 'smart-creation' },
      ],
    });

    // Assert
    expect(lines).toEqual([
      'request r1 (export) in_progress · Collect Stores · 1m 23s',
      'STORE           PHASE    STATUS     ITEMS   BYTES  ELAPSED',
      'orders          collect  completed   1234  2.5 MB     2.3s',
      'smart-creation  -        waiting        -       -        -',
    ]);
    expect(formatElapsed(4.04e5)).toBe('6m 44s');
  });

  it('on a terminal redraws the table in place with ANSI cursor movement, ending with every store', async () => {
    // Arrange
    const { api } = twoPolls(sfnMock);
    const stream = recordingStream(true);

    // Act
    const outcome = await watchExecution(new SFNClient({ region: 'eu-west-1' }), api, 'r1', ARN, { stream, pollMs: 1, now: () => START + 5_000 });

    // Assert
    expect(outcome.status).toBe('SUCCEEDED');
    expect(stream.text).toMatch(/\u001b\[1A/);
    expect(stream.text).toMatch(/\u001b\[2K/);
    const frames = stream.text.replace(ANSI, '').split('request r1 (export)').length - 1;
    expect(frames).toBeGreaterThanOrEqual(2);
    const last = stream.text.replace(ANSI, '').split('request r1 (export)').at(-1)!;
    expect(last).toContain('completed · Build Volumes · 5.0s');
    expect(last).toMatch(/uploaded-photos\s+collect\s+completed\s+4\s+2\.5 MB\s+4\.0s/);
    expect(last).toMatch(/smart-creation\s+-\s+waiting/);
    expect(last).toContain('execution SUCCEEDED');
  });

  it('without a terminal prints each state and each store once, as plain lines', async () => {
    // Arrange
    const { api } = twoPolls(sfnMock);
    const stream = recordingStream(false);

    // Act
    const outcome = await watchExecution(new SFNClient({ region: 'eu-west-1' }), api, 'r1', ARN, { stream, pollMs: 1, now: () => START + 5_000 });

    // Assert
    expect(outcome.status).toBe('SUCCEEDED');
    expect(stream.text).not.toMatch(ANSI);
    expect(stream.text.split('\n')).toEqual([
      '→ Collect Stores',
      '  customer-profile: collect completed, 1 items, 612 byte, 1.5s',
      '  orders: collect completed, 3 items, 5.4 kB, 2.3s',
      '→ Build Volumes',
      '  uploaded-photos: collect completed, 4 items, 2.5 MB, 4.0s',
      'execution SUCCEEDED',
      '',
    ]);
  });

  it('run as a process, redraws in place in a pseudo-terminal and prints plain lines into a pipe', async () => {
    // Arrange
    const script = resolve(import.meta.dirname, '../fixtures/watch-progress.ts');
    const tsx = resolve(import.meta.dirname, '../../node_modules/.bin/tsx');

    // Act
    const inTerminal = await new Promise<string>((done) => {
      let text = '';
      const terminal = spawnPty(tsx, [script], { cols: 120, rows: 40, env: { ...process.env, NODE_OPTIONS: '' } });
      terminal.onData((data) => (text += data));
      terminal.onExit(() => done(text));
    });
    const inPipe = await new Promise<string>((done) => {
      let text = '';
      const child = spawn(tsx, [script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
      child.stderr.on('data', (data: Buffer) => (text += data.toString('utf8')));
      child.on('close', () => done(text));
    });

    // Assert
    expect(inTerminal).toMatch(/\u001b\[1A/);
    expect(inTerminal.replace(ANSI, '')).toMatch(/uploaded-photos\s+collect\s+completed\s+4\s+2\.5 MB\s+4\.0s/);
    expect(inPipe).not.toMatch(ANSI);
    expect(inPipe).toContain('  uploaded-photos: collect completed, 4 items, 2.5 MB, 4.0s\n');
    expect(inPipe).toContain('execution SUCCEEDED\n');
  }, 30_000);
});

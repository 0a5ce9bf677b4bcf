import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { manualRunId, stateMachineArnOf } from '../../cli/commands/sweep-retention';
import { main } from '../../cli/dsr';

/** `dsr sweep-retention`: finding the machine, run ids, and refusals before anything starts. */

const sfn = new SFNClient({ region: 'eu-west-1' });
const sfnMock = mockClient(sfn);
const ARN = 'arn:aws:states:eu-west-1:000000000000:stateMachine:dsr-retention';

beforeEach(() => sfnMock.reset());

describe('stateMachineArnOf', () => {
  it('finds the machine by name across pages, takes an ARN as it is, and names a machine it cannot find', async () => {
    // Arrange
    sfnMock
      .on(ListStateMachinesCommand)
      .resolvesOnce({ stateMachines: [{ name: 'dsr-export', stateMachineArn: 'arn:x', type: 'STANDARD', creationDate: new Date() }], nextToken: 't' })
      .resolvesOnce({ stateMachines: [{ name: 'dsr-retention', stateMachineArn: ARN, type: 'STANDARD', creationDate: new Date() }] });

    // Act / Assert
    await expect(stateMachineArnOf(sfn, 'dsr-retention')).resolves.toBe(ARN);
    expect(sfnMock.commandCalls(ListStateMachinesCommand).map((call) => call.args[0].input.nextToken)).toEqual([undefined, 't']);
    await expect(stateMachineArnOf(sfn, ARN)).resolves.toBe(ARN);
    sfnMock.on(ListStateMachinesCommand).resolves({ stateMachines: [] });
    await expect(stateMachineArnOf(sfn, 'prod-retention')).rejects.toThrow('No state machine named prod-retention');
  });
});

describe('manualRunId', () => {
  it('names a run by hand after its UTC time, unique per call, usable as an execution name and key prefix', () => {
    // Act
    const first = manualRunId(new Date('2030-06-15T12:34:56.789Z'));

    // Assert
    expect(first).toMatch(/^manual-20300615T123456-[0-9a-f]{8}$/);
    expect(manualRunId(new Date('2030-06-15T12:34:56.789Z'))).not.toBe(first);
  });
});

describe('dsr sweep-retention arguments', () => {
  let errors: string[];
  beforeEach(() => {
    errors = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      errors.push(String(chunk));
      return true;
    });
    vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it('refuses a --now that is not a date before reaching AWS', async () => {
    // Act
    await main(['node', 'dsr', 'sweep-retention', '--now', 'tomorrow', '--data-dir', '/nonexistent']);

    // Assert
    expect(process.exitCode).toBe(1);
    expect(errors.join('')).toMatch(/--now <date>' argument 'tomorrow' is invalid. must be an ISO date/);
  });
});

import { Command, CommanderError } from 'commander';
import { ackCommand } from './commands/ack';
import { cancelCommand } from './commands/cancel';
import { checkProcessingCommand } from './commands/check-processing';
import { checkSuppressionCommand } from './commands/check-suppression';
import { denyCommand } from './commands/deny';
import { eraseCommand } from './commands/erase';
import { exportCommand } from './commands/export';
import { extendCommand } from './commands/extend';
import { flushStatusEventsCommand } from './commands/flush-status-events';
import { listCommand } from './commands/list';
import { objectCommand } from './commands/object';
import { reapplyErasuresCommand } from './commands/reapply-erasures';
import { recheckLegalHoldsCommand } from './commands/recheck-legal-holds';
import { rectifyCommand } from './commands/rectify';
import { replayCommand } from './commands/replay';
import { restrictCommand } from './commands/restrict';
import { seedCommand } from './commands/seed';
import { statusCommand } from './commands/status';
import { sweepRetentionCommand } from './commands/sweep-retention';
import { withdrawConsentCommand } from './commands/withdraw-consent';

/**
 * The `dsr` ops CLI (`bin/dsr.mjs`). Each command lives in `commands/<name>.ts` and exports a factory
 * returning a commander `Command`; adding a command is that file plus one line in `COMMANDS`.
 */

/** The command factories, in help order. */
const COMMANDS: (() => Command)[] = [
  seedCommand,
  exportCommand,
  eraseCommand,
  rectifyCommand,
  withdrawConsentCommand,
  restrictCommand,
  objectCommand,
  checkSuppressionCommand,
  checkProcessingCommand,
  statusCommand,
  listCommand,
  cancelCommand,
  extendCommand,
  denyCommand,
  ackCommand,
  replayCommand,
  sweepRetentionCommand,
  recheckLegalHoldsCommand,
  reapplyErasuresCommand,
  flushStatusEventsCommand,
];

/** Builds the program; errors throw `CommanderError` instead of exiting (see `main`). */
export function buildProgram(): Command {
  const program = new Command('dsr').description('Operate the GDPR data-subject-request pipeline').showHelpAfterError();
  for (const factory of COMMANDS) program.addCommand(factory());
  for (const command of [program, ...program.commands]) command.exitOverride();
  return program;
}

/** Runs the CLI with `argv` (node-style, `[node, script, ...args]`); sets `process.exitCode` on failure. */
export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    console.error(`dsr: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

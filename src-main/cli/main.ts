import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.ts';
import { UserError } from '../util/errors.ts';
import { useAllCoresForSharp } from '../worker/sharp-threads.ts';

/** Entry of the `heirloom` command. Returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  useAllCoresForSharp();
  const program = new Command()
    .name('heirloom')
    .description('Restore the faces in scanned family photos with PMRF.')
    .exitOverride()
    .showHelpAfterError();
  registerCommands(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof UserError) {
      process.stderr.write(`heirloom: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`heirloom: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

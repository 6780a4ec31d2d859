import type { Command } from 'commander';

/**
 * Every subcommand lives in its own file under cli/commands and exports `register(program)`.
 * Add new ones here.
 */
export function registerCommands(_program: Command): void {}

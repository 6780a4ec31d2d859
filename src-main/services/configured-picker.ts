import type { Picker } from './ports.ts';

/** A Picker whose answers are set by a test (the dev server's `--pick*` flags or /__test/picker). */
export class ConfiguredPicker implements Picker {
  /** What the import dialog returns (files and/or folders); null = the user cancels. */
  imports: string[] | null = null;
  outputFolderAnswer: string | null = null;
  modelFileAnswer: string | null = null;

  async importPaths(): Promise<string[] | null> {
    return this.imports === null ? null : [...this.imports];
  }

  async outputFolder(): Promise<string | null> {
    return this.outputFolderAnswer;
  }

  async modelFile(): Promise<string | null> {
    return this.modelFileAnswer;
  }

  /** Folders the app asked to show, in order (a test checks them). */
  readonly shownFolders: string[] = [];

  async showFolder(folder: string): Promise<void> {
    this.shownFolders.push(folder);
  }
}

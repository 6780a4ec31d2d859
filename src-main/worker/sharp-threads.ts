import os from 'node:os';
import sharp from 'sharp';

/**
 * libvips runs single-threaded by default on some Linux builds of sharp. Called once by each
 * process entry point (CLI, inference worker), never by pipeline modules.
 */
export function useAllCoresForSharp(): void {
  sharp.concurrency(os.availableParallelism());
}

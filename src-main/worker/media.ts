/**
 * The app's image chores that are not the pipeline: reading a photo's size at import and making
 * display copies (thumbnails, previews). They run in a worker process like the pipeline, never
 * in Electron's main process: sharp's libvips must not share a process with Electron's GLib
 * (ARCHITECTURE.md, "Processes and native libraries").
 */
import sharp from 'sharp';
import { DEFAULT_MAX_PIXELS, describeUnreadable } from './pipeline/decode.ts';
import { MAX_OUTPUT_PIXELS } from './pipeline/output-plan.ts';

/**
 * The app's own pixel limit for display copies: every photo it restores (inputs up to the
 * decoder's limit) and every photo it writes (outputs up to the output plan's), never sharp's
 * default (16383 x 16383), which is not Heirloom's.
 */
export const DISPLAY_MAX_PIXELS = Math.max(DEFAULT_MAX_PIXELS, MAX_OUTPUT_PIXELS);

/**
 * Upright size from the image header, or why the file is not a readable image. Only the header is
 * read, so a photo too large to restore is still imported (restoring it says why it cannot be).
 */
export async function imageHeader(file: string): Promise<{ width: number; height: number } | { error: string }> {
  try {
    const m = await sharp(file, { limitInputPixels: false }).metadata();
    return { width: m.autoOrient.width, height: m.autoOrient.height };
  } catch (err) {
    return { error: describeUnreadable(file, err) };
  }
}

export interface DisplayCopyRequest {
  source: string;
  out: string;
  /** Longest side, in pixels (smaller photos are not enlarged). */
  size: number;
  quality: number;
}

/** Writes an upright, flattened sRGB JPEG copy of a photo (browsers cannot show TIFF or 16-bit). */
export async function writeDisplayCopy(r: DisplayCopyRequest): Promise<void> {
  // Shrunk while decoding where the format allows (JPEG), so a huge photo's preview stays small in memory.
  await sharp(r.source, { failOn: 'none', sequentialRead: true, limitInputPixels: DISPLAY_MAX_PIXELS })
    .rotate()
    .resize(r.size, r.size, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .jpeg({ quality: r.quality, mozjpeg: false })
    .toFile(r.out);
}

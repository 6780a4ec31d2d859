/**
 * The app's image chores that are not the pipeline: reading a photo's size at import and making
 * display copies (thumbnails, previews). They run in a worker process like the pipeline, never
 * in Electron's main process: sharp's libvips must not share a process with Electron's GLib
 * (ARCHITECTURE.md, "Processes and native libraries").
 */
import sharp from 'sharp';

/** Upright size from the image header, or why the file is not a readable image. */
export async function imageHeader(file: string): Promise<{ width: number; height: number } | { error: string }> {
  try {
    const m = await sharp(file).metadata();
    return { width: m.autoOrient.width, height: m.autoOrient.height };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
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
  await sharp(r.source, { failOn: 'none', sequentialRead: true })
    .rotate()
    .resize(r.size, r.size, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .jpeg({ quality: r.quality, mozjpeg: false })
    .toFile(r.out);
}

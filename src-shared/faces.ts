/** A point in the photo's upright (EXIF-rotated) pixel coordinates. */
export type Point = [x: number, y: number];

/** Smallest side (photo pixels) of a face box the user may draw: below it alignment has nothing to work with. */
export const MIN_MANUAL_FACE_PX = 12;

/** One detected face. Coordinates are in the upright photo's pixels. */
export interface DetectedFace {
  /** [x, y, width, height] */
  box: [number, number, number, number];
  /** Detector confidence in [0, 1]. */
  score: number;
  /** Left eye centre, right eye centre, nose tip, left mouth corner, right mouth corner (image left/right). */
  points: [Point, Point, Point, Point, Point];
  /** Set when the face is too small to restore: it is reported, never dropped silently. */
  skipped?: 'too-small';
  /** Added by hand (the user drew the box): kept when the photo is detected again. */
  manual?: true;
}

export interface DetectionResult {
  path: string;
  width: number;
  height: number;
  faces: DetectedFace[];
  /** The photo is square and its one face already sits on the FFHQ template: offer to restore it whole. */
  looksAligned?: boolean;
  /** Set when the file is damaged but its pixels could be read: what was missing, in words. */
  damage?: string;
}

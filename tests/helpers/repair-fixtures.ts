/**
 * Which fixture photos the repair's thresholds were tuned on, and which it is judged on (never seen
 * while tuning), with different damage seeds. Paths relative to the shared fixtures folder.
 */
export const TUNE_PHOTOS = ['photos/scan-two-children-2.jpg', 'photos/group-office-4.jpg', 'photos/diptych-2.jpg', 'aligned/demo-00000055.png', 'aligned/demo-00000085.png'];

export const TEST_PHOTOS = [
  'photos/scan-family-3.png',
  'photos/film-still-1.jpg',
  'photos/portrait-small-1.jpg',
  'aligned/demo-00000113.png',
  'aligned/face-0143.png',
  'aligned/gray-portrait.png',
  'old/girl-flowers-1.png',
];

/** Old prints without visible scratches or dust: whatever is flagged here is a false alarm. */
export const CLEAN_OLD_PRINTS = ['old/porter-1.png', 'old/street-0.png', 'old/girl-flowers-1.png', 'old/boy-glasses-1.png'];

/** The same plus newer photos with thin legitimate lines (a fence, a railing) and a face close-up. */
export const CLEAN_PRINTS = ['old/porter-1.png', 'old/street-0.png', 'old/girl-flowers-1.png', 'old/boy-glasses-1.png', 'photos/scan-two-children-2.jpg', 'photos/boy-railing-1.jpg', 'aligned/demo-00000137.png'];

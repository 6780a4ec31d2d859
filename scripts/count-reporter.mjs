// A node:test reporter that prints only the closing `N passed, N failed, N skipped` line
// (the form CI reads), after the spec reporter's own output.
export default async function* countReporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    // Count leaf tests only (suites report their own pass/fail too), but a skipped suite
    // counts once as skipped: its tests are never reported.
    if (event.data.details?.type === 'suite') {
      if (event.type === 'test:pass' && event.data.skip !== undefined) skipped++;
      continue;
    }
    if (event.type === 'test:fail') failed++;
    else if (event.data.skip !== undefined || event.data.todo !== undefined) skipped++;
    else passed++;
  }
  yield `${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}

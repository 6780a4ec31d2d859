// A failed model download in plain words: what happened and what the user can do. The raw
// error (URLs, proxy variables, error codes) goes behind "Details". Pure.

const OFFLINE = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|getaddrinfo|fetch failed|network|offline|HF_HUB_OFFLINE|socket hang up|timed? ?out/i;
const DISK = /ENOSPC|no space|disk is full|disk full/i;
const REFUSED = /\b(401|403|404)\b|unauthori[sz]ed|forbidden|not found/i;

export interface DownloadProblem {
  /** One sentence with the ways forward. */
  message: string;
  /** The technical error, for the Details disclosure. */
  details: string;
}

export function downloadProblem(error: string | null): DownloadProblem {
  const details = (error ?? '').trim();
  if (OFFLINE.test(details)) {
    return { message: 'Heirloom could not reach the internet to download the model. Try again when you are online, or import the model file if you have it.', details };
  }
  if (DISK.test(details)) {
    return { message: 'There is not enough free disk space for the model. Free some space and try again, or import the model file from another drive.', details };
  }
  if (REFUSED.test(details)) {
    return { message: 'The model server refused the download. Try again later, or import the model file if you have it.', details };
  }
  return { message: 'The download did not finish. Try again (it continues where it stopped), or import the model file if you have it.', details };
}

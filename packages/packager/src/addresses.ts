import { nonPublicRange, refusedAddress, refusedLiteral } from '@geoworks/http-client';
import { PrivateAddressError } from './errors.js';

export { nonPublicRange };

/** Refuses a URL whose host is an IP literal outside the public internet. */
export function checkLiteralHost(url: URL, what: string): void {
  const refusal = refusedLiteral(url, nonPublicRange);
  if (refusal !== undefined) {
    throw new PrivateAddressError(what, refusal.host, refusal.address, refusal.range);
  }
}

/**
 * Resolves a URL's host name and refuses it when any of its addresses is outside the public
 * internet, so such a request is refused when it is made rather than when its job runs. A name
 * that does not resolve now is left to the job (which reports it). The check at connection
 * time (the requests' address policy) stays: the name may resolve differently then.
 */
export async function checkResolvedHost(url: URL, what: string): Promise<void> {
  const refusal = await refusedAddress(url, nonPublicRange);
  if (refusal !== undefined) {
    throw new PrivateAddressError(what, refusal.host, refusal.address, refusal.range);
  }
}

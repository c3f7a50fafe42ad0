import {
  AbortedError,
  GeoworksError,
  InvalidInputError,
  TimeoutError,
  UnauthorizedError,
  UpstreamError,
} from '@geoworks/errors';

/** A provider refused the credentials (or they expired and could not be renewed). */
export class AuthenticationError extends UnauthorizedError {
  readonly provider: string;

  constructor(provider: string, message: string, options: { cause?: unknown } = {}) {
    super(`${provider}: ${message}`, {
      code: 'PROVIDER_AUTH_FAILED',
      cause: options.cause,
      details: { provider },
    });
    this.provider = provider;
  }
}

/** A provider answered with an error (an HTTP status, or an error inside a 200 as USGS M2M does). */
export class ProviderError extends UpstreamError {
  readonly provider: string;
  /** HTTP status, when the error came as one. */
  readonly status: number | undefined;
  /** The provider's own error code (M2M `errorCode`, OAuth `error`, ...). */
  readonly providerCode: string | undefined;

  constructor(
    provider: string,
    message: string,
    options: { status?: number; providerCode?: string; cause?: unknown; url?: string } = {},
  ) {
    super(`${provider}: ${message}`, {
      code: 'PROVIDER_ERROR',
      cause: options.cause,
      details: {
        provider,
        status: options.status,
        providerCode: options.providerCode,
        url: options.url,
      },
    });
    this.provider = provider;
    this.status = options.status;
    this.providerCode = options.providerCode;
  }
}

/** A search parameter the provider cannot express (unknown platform, bad cloud range, ...). */
export class SearchParameterError extends InvalidInputError {
  constructor(message: string) {
    super(message, { code: 'SEARCH_PARAMETER_INVALID' });
  }
}

/** Downloading a scene failed; `sceneId` names it. */
export class DownloadError extends GeoworksError {
  readonly sceneId: string;

  constructor(sceneId: string, message: string, options: { cause?: unknown; code?: string } = {}) {
    super('upstream', `${sceneId}: ${message}`, {
      code: options.code ?? 'DOWNLOAD_FAILED',
      cause: options.cause,
      details: { sceneId },
    });
    this.sceneId = sceneId;
  }
}

/** The bytes received do not match the size or checksum the provider advertised. */
export class IntegrityError extends DownloadError {
  constructor(sceneId: string, message: string) {
    super(sceneId, message, { code: 'DOWNLOAD_INTEGRITY' });
  }
}

/** A scene that cannot be made downloadable (offline Copernicus product, no permission, ...). */
export class NotActivatableError extends DownloadError {
  constructor(sceneId: string, message: string) {
    super(sceneId, message, { code: 'SCENE_NOT_ACTIVATABLE' });
  }
}

/** A transfer that received nothing for longer than the stall timeout. */
export class StalledTransferError extends TimeoutError {
  constructor(url: string, stallMs: number) {
    super(
      `No data from ${new URL(url).host} for ${Math.round(stallMs / 1000)} s: the transfer stalled`,
      {
        code: 'TRANSFER_STALLED',
        details: { url: redactUrl(url), stallMs },
      },
    );
  }
}

/** The caller's AbortSignal fired: nothing half-written is left looking complete. */
export class DownloadCancelled extends AbortedError {
  constructor(message = 'The download was cancelled', options: { cause?: unknown } = {}) {
    super(message, { code: 'DOWNLOAD_CANCELLED', cause: options.cause });
  }
}

/** A URL without its query string (signed URLs carry credentials there). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}${parsed.search === '' ? '' : '?…'}`;
  } catch {
    return url;
  }
}

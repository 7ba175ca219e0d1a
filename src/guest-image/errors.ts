/**
 * Anything that stops the default guest image from being fetched or built: apt or dpkg-deb
 * missing, Debian's archive unreachable, a package not found, a malformed archive. The message says
 * what went wrong and what to do about it.
 */
export class GuestImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GuestImageError";
  }
}

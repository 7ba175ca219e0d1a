/** A kernel, initrd or module image that cannot be loaded; the message says what is wrong. */
export class LoaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LoaderError";
  }
}

// Connects the host terminal to the guest's serial console: raw mode, every byte typed goes to
// the guest, and QEMU's escape: Ctrl-A X quits, Ctrl-A Ctrl-A sends a literal Ctrl-A.

const CTRL_A = 0x01;

export interface Console {
  /** Put the terminal back as it was. */
  detach(): void;
}

export function attachConsole(sendToGuest: (bytes: Uint8Array) => void, onQuit: () => void): Console {
  const input = process.stdin;
  const raw = input.isTTY === true;
  if (raw) input.setRawMode(true);
  let escape = false;
  const onData = (chunk: Buffer): void => {
    const forward: number[] = [];
    for (const byte of chunk) {
      if (escape) {
        escape = false;
        if (byte === 0x78 || byte === 0x58) { // x or X
          onQuit();
          return;
        }
        if (byte === CTRL_A) forward.push(CTRL_A);
        continue; // other escapes are not bound
      }
      if (byte === CTRL_A) escape = true;
      else forward.push(byte);
    }
    if (forward.length > 0) sendToGuest(Uint8Array.from(forward));
  };
  input.on("data", onData);
  input.resume();
  return {
    detach(): void {
      input.off("data", onData);
      if (raw) input.setRawMode(false);
      input.pause();
    },
  };
}

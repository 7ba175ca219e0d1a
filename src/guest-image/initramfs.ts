// The default guest's initramfs: busybox, an /init that mounts the kernel's filesystems and starts
// a shell on the serial console, and the few files a shell session expects.
import { type CpioEntry, writeCpioGzip } from "./cpio.ts";

/**
 * The shell's prompt once the guest is up: the shell starts as root in /root (HOME), and busybox
 * shows HOME as "~". Tests wait for this string on the serial console.
 */
export const GUEST_PROMPT = "wasmvisor:~# ";
/** Printed by /init before the shell starts, after proc, sys and dev are mounted. */
export const GUEST_BANNER = "wasmvisor: Debian busybox guest ready";

// Device numbers (Documentation/admin-guide/devices.txt). The kernel opens /dev/console for init's
// standard streams before anything is mounted, so it must exist in the archive itself.
const CONSOLE_MAJOR = 5; // /dev/console: alternate TTY devices
const CONSOLE_MINOR = 1;
const SERIAL_MAJOR = 4; // /dev/ttyS0: first 8250/16550 port
const SERIAL_MINOR = 64;
const MEM_MAJOR = 1; // /dev/null
const NULL_MINOR = 3;

// "#!/bin/busybox sh": the kernel runs the script with busybox's shell before any applet links exist.
// The shell gets its own session and opens the console's real tty (ttyS0, not /dev/console, which can
// never be a controlling terminal) so job control and Ctrl-C work. When it exits the guest powers off.
const INIT_SCRIPT = `#!/bin/busybox sh
# wasmvisor's default guest: mount the kernel filesystems, then a root shell on the serial console.
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox mkdir -p /dev/pts /dev/shm
/bin/busybox mount -t devpts devpts /dev/pts
/bin/busybox --install -s
export PATH=/sbin:/usr/sbin:/bin:/usr/bin HOME=/root TERM=vt100
hostname wasmvisor
console=ttyS0
for active in $(cat /sys/class/tty/console/active 2>/dev/null); do console=$active; done
[ -c /dev/$console ] || console=console
echo
echo "${GUEST_BANNER} (Linux $(uname -r), console /dev/$console)"
cd /root
setsid sh -c "exec sh -l </dev/$console >/dev/$console 2>&1"
echo "wasmvisor: shell exited, powering off"
sync
exec poweroff -f
`;

const PROFILE = `# Read by the login shell /init starts.
export PATH=/sbin:/usr/sbin:/bin:/usr/bin HOME=/root
PS1='wasmvisor:\\w# '
`;

export interface InitramfsOptions {
  /** The static i386 busybox binary. */
  busybox: Uint8Array;
  /** Modification time of every member (seconds since 1970). */
  mtime?: number;
}

/** The members of the initramfs, parents first. */
export function initramfsEntries(options: InitramfsOptions): CpioEntry[] {
  const directory = (path: string, mode = 0o755): CpioEntry => ({ type: "directory", path, mode });
  const file = (path: string, data: Uint8Array | string, mode = 0o644): CpioEntry => ({ type: "file", path, data, mode });
  return [
    directory("bin"),
    file("bin/busybox", options.busybox, 0o755),
    { type: "symlink", path: "bin/sh", target: "busybox" },
    directory("sbin"),
    directory("usr"),
    directory("usr/bin"),
    directory("usr/sbin"),
    directory("dev"),
    { type: "characterDevice", path: "dev/console", major: CONSOLE_MAJOR, minor: CONSOLE_MINOR, mode: 0o600 },
    { type: "characterDevice", path: "dev/ttyS0", major: SERIAL_MAJOR, minor: SERIAL_MINOR, mode: 0o660 },
    { type: "characterDevice", path: "dev/null", major: MEM_MAJOR, minor: NULL_MINOR, mode: 0o666 },
    directory("proc", 0o555),
    directory("sys", 0o555),
    directory("tmp", 0o1777),
    directory("root", 0o700),
    directory("etc"),
    file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
    file("etc/group", "root:x:0:\ntty:x:5:\n"),
    file("etc/hostname", "wasmvisor\n"),
    file("etc/profile", PROFILE),
    file("init", INIT_SCRIPT, 0o755),
  ];
}

/** The gzip-compressed newc archive the kernel unpacks as its root filesystem. */
export function buildInitramfs(options: InitramfsOptions): Buffer {
  return writeCpioGzip(initramfsEntries(options), { mtime: options.mtime ?? 0 });
}

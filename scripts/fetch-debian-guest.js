#!/usr/bin/env node
// Fetches and builds the default Linux guest (Debian bookworm's i386 686 kernel and a busybox
// initramfs) into the cache, then prints where it is:
//
//   node scripts/fetch-debian-guest.js [--cache-dir DIR] [--refresh] [--json]
//
// Runs the TypeScript source through esbuild when it is installed (a development checkout), else
// the built library in dist/.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const USAGE = "usage: node scripts/fetch-debian-guest.js [--cache-dir DIR] [--refresh] [--json]";

function parseArguments(argv) {
  const options = { cacheDir: undefined, refresh: false, json: false };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (argument === "--refresh") options.refresh = true;
    else if (argument === "--json") options.json = true;
    else if (argument === "--cache-dir" && index + 1 < argv.length) options.cacheDir = argv[++index];
    else if (argument.startsWith("--cache-dir=")) options.cacheDir = argument.slice("--cache-dir=".length);
    else if (argument === "--help" || argument === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.error(`fetch-debian-guest: unknown argument '${argument}'\n${USAGE}`);
      process.exit(2);
    }
  }
  return options;
}

async function loadLibrary() {
  let esbuild;
  try {
    esbuild = await import("esbuild");
  } catch {
    const dist = path.join(repoRoot, "dist/index.js");
    if (!existsSync(dist)) throw new Error("neither esbuild nor dist/index.js is available; run npm install or npm run build");
    return import(pathToFileURL(dist).href);
  }
  const result = await esbuild.build({
    entryPoints: [path.join(repoRoot, "src/guest-image/debian.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    logLevel: "warning",
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), "wasmvisor-fetch-"));
  const module = path.join(dir, "debian.mjs");
  writeFileSync(module, result.outputFiles[0].contents);
  try {
    return await import(pathToFileURL(module).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const options = parseArguments(process.argv.slice(2));
const { ensureDebianGuest, GuestImageError } = await loadLibrary();
try {
  const started = Date.now();
  const guest = await ensureDebianGuest({
    cacheDir: options.cacheDir,
    refresh: options.refresh,
    onProgress: (message) => console.error(`fetch-debian-guest: ${message}`),
  });
  if (options.json) {
    console.log(JSON.stringify(guest, null, 2));
  } else {
    console.log(`kernel:  ${guest.kernelPath}`);
    console.log(`initrd:  ${guest.initrdPath}`);
    console.log(`cmdline: ${guest.cmdline}`);
    console.log(`version: Linux ${guest.kernelVersion} (${guest.kernelPackage} ${guest.kernelPackageVersion}), busybox ${guest.busyboxVersion}`);
    console.log(`prompt:  '${guest.prompt}'`);
  }
  console.error(`fetch-debian-guest: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  if (error instanceof GuestImageError) {
    console.error(`fetch-debian-guest: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

// A private apt for i386 packages. Its configuration, package lists and state live under the cache
// directory and APT_CONFIG points apt at them, so neither root nor `dpkg --add-architecture` is
// needed and the host's apt state is never touched. Its sources are Debian's archive for one suite
// (bookworm, bookworm-updates, bookworm-security), at the mirrors the host already uses when it is
// a Debian system, else at deb.debian.org.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { GuestImageError } from "./errors.ts";

const DEFAULT_ARCHIVE = "http://deb.debian.org/debian";
const DEFAULT_SECURITY = "http://deb.debian.org/debian-security";
const DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";
// Host apt settings worth keeping in the private configuration: how to reach the network.
const CARRIED_SETTINGS = /^Acquire::(https?|ftp)::(Proxy|Proxy-Auto-Detect)\b/;

/** One entry of an apt sources file, in either the one-line or the deb822 format. */
export interface SourceEntry {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  signedBy?: string;
}

/** Parses a deb822 `.sources` file. */
export function parseDeb822Sources(text: string): SourceEntry[] {
  const entries: SourceEntry[] = [];
  const paragraphs = text
    .split("\n")
    .filter((line) => !line.startsWith("#"))
    .join("\n")
    .split(/\n\s*\n/);
  for (const paragraph of paragraphs) {
    const fields = new Map<string, string>();
    let current: string | undefined;
    for (const line of paragraph.split("\n")) {
      if (/^\s/.test(line) && current !== undefined) {
        fields.set(current, `${fields.get(current)}\n${line.trim()}`); // continuation line
      } else if (line.includes(":")) {
        current = line.slice(0, line.indexOf(":")).trim().toLowerCase();
        fields.set(current, line.slice(line.indexOf(":") + 1).trim());
      }
    }
    if (fields.get("enabled")?.toLowerCase() === "no" || !fields.has("uris")) continue;
    const words = (name: string) => (fields.get(name) ?? "").split(/\s+/).filter(Boolean);
    entries.push({
      types: words("types"),
      uris: words("uris"),
      suites: words("suites"),
      components: words("components"),
      signedBy: fields.get("signed-by"),
    });
  }
  return entries;
}

/** Parses a one-line-format `.list` file ("deb [options] uri suite component..."). */
export function parseOneLineSources(text: string): SourceEntry[] {
  const entries: SourceEntry[] = [];
  for (const raw of text.split("\n")) {
    let line = raw.replace(/#.*/, "").trim();
    if (line === "") continue;
    const type = line.split(/\s+/)[0];
    line = line.slice(type.length).trim();
    let signedBy: string | undefined;
    if (line.startsWith("[")) {
      const options = line.slice(1, line.indexOf("]"));
      line = line.slice(line.indexOf("]") + 1).trim();
      signedBy = /(?:^|\s)signed-by=(\S+)/.exec(options)?.[1];
    }
    const [uri, suite, ...components] = line.split(/\s+/);
    if (!uri || !suite) continue;
    entries.push({ types: [type], uris: [uri], suites: [suite], components, signedBy });
  }
  return entries;
}

/** Every source entry the host's apt reads from `etcApt` (sources.list and sources.list.d). */
export function readHostSources(etcApt = "/etc/apt"): SourceEntry[] {
  const entries: SourceEntry[] = [];
  const read = (file: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return "";
    }
  };
  entries.push(...parseOneLineSources(read(path.join(etcApt, "sources.list"))));
  const partsDir = path.join(etcApt, "sources.list.d");
  const parts = existsSync(partsDir) ? readdirSync(partsDir).sort() : [];
  for (const name of parts) {
    const file = path.join(partsDir, name);
    if (name.endsWith(".sources")) entries.push(...parseDeb822Sources(read(file)));
    else if (name.endsWith(".list")) entries.push(...parseOneLineSources(read(file)));
  }
  return entries;
}

export interface DebianMirrors {
  archive: string[];
  security: string[];
  keyring: string;
}

function isDebianUri(uri: string): "archive" | "security" | undefined {
  const trimmed = uri.replace(/\/+$/, "");
  if (!/^(https?|ftp|file|mirror\+\w+):/.test(trimmed)) return undefined;
  if (trimmed.endsWith("/debian-security")) return "security";
  if (trimmed.endsWith("/debian")) return "archive";
  return undefined;
}

/**
 * The Debian mirrors to fetch from: those among the host's sources whose URI is a Debian archive
 * (".../debian") or security archive (".../debian-security"), else deb.debian.org.
 */
export function chooseDebianMirrors(hostSources: readonly SourceEntry[]): DebianMirrors {
  const archive = new Set<string>();
  const security = new Set<string>();
  let hostKeyring: string | undefined;
  for (const entry of hostSources) {
    if (!entry.types.includes("deb")) continue;
    for (const uri of entry.uris) {
      const kind = isDebianUri(uri);
      if (kind === undefined) continue;
      (kind === "security" ? security : archive).add(uri.replace(/\/+$/, ""));
      if (entry.signedBy && !entry.signedBy.includes("\n") && existsSync(entry.signedBy)) hostKeyring ??= entry.signedBy;
    }
  }
  const keyring = existsSync(DEBIAN_KEYRING) ? DEBIAN_KEYRING : hostKeyring;
  if (keyring === undefined) {
    throw new GuestImageError(
      `Debian's archive keyring (${DEBIAN_KEYRING}) is missing, so downloads cannot be verified; install it with 'apt-get install debian-archive-keyring'`,
    );
  }
  return {
    archive: archive.size > 0 ? [...archive] : [DEFAULT_ARCHIVE],
    security: security.size > 0 ? [...security] : [DEFAULT_SECURITY],
    keyring,
  };
}

/** The private sources file: main of `suite` and its -updates and -security suites, one architecture. */
export function privateSourcesText(mirrors: DebianMirrors, suite: string, architecture: string): string {
  const paragraph = (uris: string[], suites: string[]) =>
    [
      "Types: deb",
      `URIs: ${uris.join(" ")}`,
      `Suites: ${suites.join(" ")}`,
      "Components: main",
      `Architectures: ${architecture}`,
      `Signed-By: ${mirrors.keyring}`,
    ].join("\n");
  return `${paragraph(mirrors.archive, [suite, `${suite}-updates`])}\n\n${paragraph(mirrors.security, [`${suite}-security`])}\n`;
}

/** What apt knows of one package version (from `apt-cache show`). */
export interface PackageRecord {
  name: string;
  version: string;
  architecture: string;
  size: number;
  sha256: string;
  depends: string[];
}

interface CommandResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface PrivateAptOptions {
  /** Directory that holds the configuration, lists and state (created if missing). */
  root: string;
  /** Debian suite, e.g. "bookworm". */
  suite: string;
  /** Debian architecture of the packages, e.g. "i386". */
  architecture: string;
  /** Where the host's apt configuration lives (for its sources and proxy settings). */
  hostEtcApt?: string;
}

export class PrivateApt {
  readonly configFile: string;
  private readonly root: string;

  constructor(private readonly options: PrivateAptOptions) {
    this.root = path.resolve(options.root);
    this.configFile = path.join(this.root, "apt.conf");
  }

  /** Writes the configuration and sources and creates the directories apt expects. */
  async configure(): Promise<void> {
    const etc = path.join(this.root, "etc");
    const state = path.join(this.root, "state");
    const cache = path.join(this.root, "cache");
    for (const dir of [
      path.join(etc, "apt.conf.d"),
      path.join(etc, "preferences.d"),
      path.join(etc, "sources.list.d"),
      path.join(etc, "trusted.gpg.d"),
      path.join(state, "lists", "partial"),
      path.join(cache, "archives", "partial"),
    ]) {
      mkdirSync(dir, { recursive: true });
    }
    const status = path.join(state, "status");
    if (!existsSync(status)) writeFileSync(status, ""); // no installed packages: nothing constrains resolution
    const mirrors = chooseDebianMirrors(readHostSources(this.options.hostEtcApt));
    writeFileSync(path.join(etc, "sources.list"), "");
    writeFileSync(
      path.join(etc, "sources.list.d", "debian.sources"),
      privateSourcesText(mirrors, this.options.suite, this.options.architecture),
    );
    const quote = (value: string) => `"${value.replace(/"/g, "")}"`;
    const lines = [
      "// Written by wasmvisor: a private apt for the guest's packages; the host's apt is not used.",
      `Dir::Etc ${quote(etc + "/")};`,
      'Dir::Etc::main "apt.conf";',
      'Dir::Etc::parts "apt.conf.d/";',
      'Dir::Etc::sourcelist "sources.list";',
      'Dir::Etc::sourceparts "sources.list.d/";',
      'Dir::Etc::preferences "preferences";',
      'Dir::Etc::preferencesparts "preferences.d/";',
      'Dir::Etc::trusted "trusted.gpg";',
      'Dir::Etc::trustedparts "trusted.gpg.d/";',
      `Dir::State ${quote(state + "/")};`,
      `Dir::State::status ${quote(status)};`,
      `Dir::Cache ${quote(cache + "/")};`,
      `APT::Architecture ${quote(this.options.architecture)};`,
      `APT::Architectures { ${quote(this.options.architecture)}; };`,
      'Acquire::Languages "none";',
      // As root apt would fetch as the '_apt' user, who cannot enter a home directory's cache.
      ...(process.getuid?.() === 0 ? ['APT::Sandbox::User "root";'] : []),
      ...(await this.hostNetworkSettings()),
    ];
    writeFileSync(this.configFile, `${lines.join("\n")}\n`);
  }

  /**
   * Downloads the package lists. apt exits non-zero when any one index fails (a mirror mid-sync
   * often does), so this reports the failure instead of throwing: whether the packages can still
   * be found and fetched decides.
   */
  async update(): Promise<{ ok: boolean; errors: string }> {
    // ok: apt's exit status; errors: its E: and W: lines (unreachable mirrors are only warnings).
    const result = await this.run("apt-get", ["update", "-q"]);
    const errors = result.stderr
      .split("\n")
      .filter((line) => /^(E|W):/.test(line) && !/^W: Some index files failed/.test(line))
      .join("\n");
    return { ok: result.status === 0, errors };
  }

  /** Whether any package index was downloaded (now or by an earlier update). */
  hasPackageLists(): boolean {
    const lists = path.join(this.root, "state", "lists");
    return existsSync(lists) && readdirSync(lists).some((name) => name.includes("_Packages"));
  }

  /** The candidate version of `name`, or undefined when no source offers it. */
  async show(name: string): Promise<PackageRecord | undefined> {
    const result = await this.run("apt-cache", ["show", "--no-all-versions", name]);
    if (result.status !== 0 || result.stdout.trim() === "") return undefined;
    const fields = new Map<string, string>();
    let current: string | undefined;
    for (const line of result.stdout.split("\n\n")[0].split("\n")) {
      if (/^\s/.test(line) && current !== undefined) continue; // continuation (descriptions)
      const colon = line.indexOf(":");
      if (colon === -1) continue;
      current = line.slice(0, colon);
      fields.set(current, line.slice(colon + 1).trim());
    }
    const depends = (fields.get("Depends") ?? "")
      .split(",")
      .map((item) => item.trim().split(/[\s(|]/)[0])
      .filter(Boolean);
    return {
      name: fields.get("Package") ?? name,
      version: fields.get("Version") ?? "",
      architecture: fields.get("Architecture") ?? "",
      size: Number(fields.get("Size") ?? 0),
      sha256: fields.get("SHA256") ?? "",
      depends,
    };
  }

  /** Downloads the candidate of each `names` into `destination` (apt-get download: any user). */
  async download(names: string[], destination: string): Promise<void> {
    mkdirSync(destination, { recursive: true });
    const result = await this.run("apt-get", ["download", "-q", ...names], destination);
    if (result.status !== 0) {
      throw new GuestImageError(
        `apt-get download ${names.join(" ")} failed: ${lastErrors(result.stderr)}; check that Debian's archive is reachable (a proxy goes in Acquire::http::Proxy or http_proxy)`,
      );
    }
  }

  /** Runs an apt command with the private configuration. */
  private run(command: string, args: string[], cwd?: string): Promise<CommandResult> {
    return runCommand(command, args, { cwd, env: { ...process.env, APT_CONFIG: this.configFile, LC_ALL: "C" } });
  }

  /** The host's proxy settings, so the private apt reaches the network the way the host's does. */
  private async hostNetworkSettings(): Promise<string[]> {
    const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: "C" };
    delete env.APT_CONFIG;
    const dump = await runCommand("apt-config", ["dump"], { env });
    return dump.stdout.split("\n").filter((line) => CARRIED_SETTINGS.test(line));
  }
}

function lastErrors(stderr: string): string {
  const errors = stderr.split("\n").filter((line) => line.startsWith("E:"));
  return (errors.length > 0 ? errors : stderr.trim().split("\n").slice(-1)).join(" ").trim() || "no message";
}

function runCommand(command: string, args: string[], options: { cwd?: string; env: NodeJS.ProcessEnv }): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { ...options, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" }, (error, stdout, stderr) => {
      const code = (error as NodeJS.ErrnoException | null)?.code;
      if (code === "ENOENT") {
        reject(new GuestImageError(`${command} is not installed; fetching the Debian guest needs apt (a Debian or Ubuntu host)`));
        return;
      }
      resolve({ status: error ? (typeof code === "number" ? code : 1) : 0, stdout, stderr });
    });
  });
}

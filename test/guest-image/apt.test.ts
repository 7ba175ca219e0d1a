// The private apt's source handling: reading the host's sources in both formats and choosing the
// Debian mirrors for the guest's packages.
import { describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  chooseDebianMirrors,
  parseDeb822Sources,
  parseOneLineSources,
  privateSourcesText,
  readHostSources,
} from "../../src/guest-image/apt.ts";

const DEB822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security/
Suites: bookworm-security
Components: main contrib

Enabled: no
Types: deb
URIs: http://disabled.example/debian
Suites: bookworm
Components: main

Types: deb
URIs: https://deb.nodesource.com/node_20.x
Suites: nodistro
Components: main
Architectures: amd64
`;

const ONE_LINE = `# comment
deb [arch=amd64 signed-by=/etc/apt/keyrings/x.gpg] http://mirror.example/debian bookworm main contrib
deb-src http://mirror.example/debian bookworm main
deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main
`;

describe("private apt sources", () => {
  it("parses deb822 paragraphs, skipping comments and disabled ones", () => {
    const entries = parseDeb822Sources(DEB822);
    expect(entries).toHaveLength(3);
    expect(entries[0]).toEqual({
      types: ["deb"],
      uris: ["http://deb.debian.org/debian"],
      suites: ["bookworm", "bookworm-updates"],
      components: ["main"],
      signedBy: "/usr/share/keyrings/debian-archive-keyring.gpg",
    });
    expect(entries[1].components).toEqual(["main", "contrib"]);
    expect(entries[2].uris).toEqual(["https://deb.nodesource.com/node_20.x"]);
  });

  it("parses one-line entries with options", () => {
    const entries = parseOneLineSources(ONE_LINE);
    expect(entries).toHaveLength(3);
    expect(entries[0]).toEqual({
      types: ["deb"],
      uris: ["http://mirror.example/debian"],
      suites: ["bookworm"],
      components: ["main", "contrib"],
      signedBy: "/etc/apt/keyrings/x.gpg",
    });
    expect(entries[1].types).toEqual(["deb-src"]);
  });

  it("reads sources.list and the .list and .sources files of sources.list.d, nothing else", () => {
    const etc = mkdtempSync(path.join(os.tmpdir(), "wasmvisor-apt-"));
    try {
      mkdirSync(path.join(etc, "sources.list.d"));
      writeFileSync(path.join(etc, "sources.list"), ONE_LINE);
      writeFileSync(path.join(etc, "sources.list.d", "debian.sources"), DEB822);
      writeFileSync(path.join(etc, "sources.list.d", "old.list.disabled"), "deb http://ignored.example/debian bookworm main\n");
      const uris = readHostSources(etc).flatMap((entry) => entry.uris);
      expect(uris).toContain("http://mirror.example/debian");
      expect(uris).toContain("http://deb.debian.org/debian-security/");
      expect(uris).not.toContain("http://ignored.example/debian");
    } finally {
      rmSync(etc, { recursive: true, force: true });
    }
  });

  it("keeps the host's Debian mirrors and drops third-party repositories", () => {
    const mirrors = chooseDebianMirrors([...parseDeb822Sources(DEB822), ...parseOneLineSources(ONE_LINE)]);
    expect(mirrors.archive).toEqual(["http://deb.debian.org/debian", "http://mirror.example/debian"]);
    expect(mirrors.security).toEqual(["http://deb.debian.org/debian-security"]);
  });

  it("falls back to deb.debian.org when the host has no Debian sources", () => {
    const mirrors = chooseDebianMirrors(parseOneLineSources("deb http://archive.ubuntu.com/ubuntu jammy main\n"));
    expect(mirrors.archive).toEqual(["http://deb.debian.org/debian"]);
    expect(mirrors.security).toEqual(["http://deb.debian.org/debian-security"]);
  });

  it("writes i386 sources for the suite, its updates and its security suite", () => {
    const text = privateSourcesText(
      { archive: ["http://a.example/debian"], security: ["http://s.example/debian-security"], keyring: "/k.gpg" },
      "bookworm",
      "i386",
    );
    const entries = parseDeb822Sources(text);
    expect(entries.map((entry) => entry.suites)).toEqual([["bookworm", "bookworm-updates"], ["bookworm-security"]]);
    expect(text).toContain("Architectures: i386");
    expect(entries.every((entry) => entry.signedBy === "/k.gpg")).toBe(true);
  });
});

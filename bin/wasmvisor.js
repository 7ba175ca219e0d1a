#!/usr/bin/env node
import { fileURLToPath } from "node:url";
import { relaunchWithV8WorkerPool } from "../dist/index.js";

await relaunchWithV8WorkerPool(fileURLToPath(import.meta.url));
await import("../dist/cli.js");

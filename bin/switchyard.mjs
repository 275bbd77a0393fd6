#!/usr/bin/env node
// The `switchyard` command: the CLI is TypeScript, run through tsx as the rest of the
// project's tools are.
import { register } from "tsx/esm/api";

register();
await import("../local/cli/switchyard.ts");

import { Command } from "commander";
import { readFileSync } from "node:fs";

/** The package version, read once from package.json so there is a single source. */
export function packageVersion(): string {
  const url = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
}

export function versionCommand(): Command {
  return new Command("version").description("print the version").action(() => {
    console.log(`proxy-service ${packageVersion()}`);
  });
}

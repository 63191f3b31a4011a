import { Command } from "commander";
import { simulateCommand } from "./simulate.js";
import { renderCommand } from "./render.js";
import { versionCommand } from "./version.js";
import { runCommand } from "./run.js";
import { restoreCommand } from "./restore.js";

// One executable, `proxy-service`; each subcommand lives in its own file and registers here.
const program = new Command("proxy-service")
  .description("Puts shared Istio gateway proxies in front of a Service so least-request balancing sees the global load")
  .showHelpAfterError();

program.addCommand(versionCommand());
program.addCommand(renderCommand());
program.addCommand(simulateCommand());

program.addCommand(runCommand());
program.addCommand(restoreCommand());

await program.parseAsync(process.argv);

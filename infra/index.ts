// Pulumi entry point (Pulumi.yaml `main`). Config is validated first — a bad stack config fails
// with one message naming every problem, before any resource of ours is registered.
import { loadConfig } from "./config";
import { createPlatform } from "./platform";

export = () => createPlatform(loadConfig());

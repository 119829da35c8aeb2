// A throwaway self-signed certificate for the local HTTPS stubs (Harbor, an API server, gateways):
// valid for 127.0.0.1, one day, made by openssl. The certificate file is world-readable so a step
// running as its own uid can trust it.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export interface LocalCert {
    key: string;
    cert: string;
    keyFile: string;
    certFile: string;
}

/** Writes key.pem and cert.pem into `dir` (created, mode 0755) and returns them. */
export function selfSignedLocalhostCert(dir: string): LocalCert {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    const keyFile = path.join(dir, "key.pem");
    const certFile = path.join(dir, "cert.pem");
    const args = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"];
    const r = spawnSync("openssl", [...args, "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", keyFile, "-out", certFile], {
        encoding: "utf8",
    });
    if (r.error || r.status !== 0) {
        throw new Error(
            `openssl could not make a test certificate (is it installed? .ci/run installs it): ${r.error?.message ?? r.stderr}`,
        );
    }
    fs.chmodSync(certFile, 0o644);
    return { key: fs.readFileSync(keyFile, "utf8"), cert: fs.readFileSync(certFile, "utf8"), keyFile, certFile };
}

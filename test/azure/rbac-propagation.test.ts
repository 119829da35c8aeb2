// The RBAC wait polls the API server instead of sleeping (issue 9 item 4). The polling logic is
// run for real: an HTTPS stub API server on 127.0.0.1 (its CA generated here with openssl and
// passed exactly as kubeconfig's certificate-authority-data), the token from a real exec plugin
// (a sh script printing an ExecCredential), and SelfSubjectAccessReviews answered allowed only
// after N rounds — or never.
import { selfSignedLocalhostCert } from "../tls";
import { strict as assert } from "assert";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { AddressInfo } from "net";
import {
    AccessCheck,
    ClusterConnection,
    connectionOf,
    DEFAULT_TIMEOUT_SECONDS,
    DEPLOYER_ACCESS_CHECKS,
    GrantCheckState,
    RbacGrantEffective,
    rbacGrantProvider as provider,
    waitForGrant,
} from "../../components/azure/rbac-propagation";

interface Review {
    token: string;
    attrs: AccessCheck;
}

describe("RBAC grant effective (SelfSubjectAccessReview polling)", function () {
    this.timeout(60_000);
    let dir: string;
    let server: https.Server;
    let connection: ClusterConnection;
    const reviews: Review[] = [];
    /** Rounds (token fetches = rounds) after which the stub answers allowed; Infinity = never. */
    let allowAfterRounds = 3;
    let rounds = 0;

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "rbac-check-"));
        selfSignedLocalhostCert(dir);
        // The exec plugin: counts its calls (one per round) and prints an ExecCredential.
        const plugin = path.join(dir, "kubelogin-stub.sh");
        fs.writeFileSync(
            plugin,
            `#!/bin/sh\necho x >> "$ROUNDS_FILE"\nprintf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"%s"}}' "$STUB_TOKEN"\n`,
            { mode: 0o755 },
        );
        server = https.createServer(
            { key: fs.readFileSync(path.join(dir, "key.pem")), cert: fs.readFileSync(path.join(dir, "cert.pem")) },
            (req, res) => {
                let body = "";
                req.on("data", c => {
                    body += c;
                });
                req.on("end", () => {
                    if (req.method !== "POST" || req.url !== "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews") {
                        res.writeHead(404).end();
                        return;
                    }
                    const doc = JSON.parse(body);
                    reviews.push({ token: String(req.headers.authorization), attrs: doc.spec.resourceAttributes });
                    rounds = fs.existsSync(path.join(dir, "rounds"))
                        ? fs.readFileSync(path.join(dir, "rounds"), "utf8").trim().split("\n").length
                        : 0;
                    const allowed = rounds >= allowAfterRounds;
                    res.writeHead(201, { "Content-Type": "application/json" }).end(
                        JSON.stringify({
                            ...doc,
                            status: { allowed, ...(allowed ? {} : { reason: "no RBAC policy matched" }) },
                        }),
                    );
                });
            },
        );
        await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
        const kubeconfig = {
            "current-context": "aks",
            contexts: [{ name: "aks", context: { cluster: "aks", user: "clusterUser_rg_aks" } }],
            clusters: [
                {
                    name: "aks",
                    cluster: {
                        server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
                        "certificate-authority-data": fs.readFileSync(path.join(dir, "cert.pem")).toString("base64"),
                    },
                },
            ],
            users: [
                {
                    name: "clusterUser_rg_aks",
                    user: {
                        exec: {
                            command: plugin,
                            args: ["get-token", "--login", "azurecli"],
                            env: [
                                { name: "STUB_TOKEN", value: "t0ken" },
                                { name: "ROUNDS_FILE", value: path.join(dir, "rounds") },
                            ],
                        },
                    },
                },
            ],
        };
        connection = connectionOf(kubeconfig);
    });
    after(() => {
        server.close();
        fs.rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(() => {
        reviews.length = 0;
        fs.rmSync(path.join(dir, "rounds"), { force: true });
    });

    it("keeps asking until every review is allowed, then stops (here: on the 3rd round)", async () => {
        allowAfterRounds = 3;
        const sleeps: number[] = [];
        const result = await waitForGrant({
            connection,
            checks: DEPLOYER_ACCESS_CHECKS,
            intervalSeconds: 10,
            timeoutSeconds: 600,
            what: "grant g",
            sleep: async ms => {
                sleeps.push(ms);
            },
        });
        assert.equal(result.rounds, 3);
        assert.deepEqual(sleeps, [10_000, 10_000], "waits the interval between rounds, not after the last");
        // Rounds 1 and 2 stop at the first denial; round 3 asks every action.
        assert.deepEqual(
            reviews.map(r => r.attrs),
            [DEPLOYER_ACCESS_CHECKS[0], DEPLOYER_ACCESS_CHECKS[0], ...DEPLOYER_ACCESS_CHECKS],
        );
        assert.ok(
            reviews.every(r => r.token === "Bearer t0ken"),
            "the exec plugin's token, as the deployer",
        );
    });

    it("gives up at the bound with an error naming the grant, the server and the last answer", async () => {
        allowAfterRounds = Infinity;
        const sleeps: number[] = [];
        const err = await waitForGrant({
            connection,
            checks: DEPLOYER_ACCESS_CHECKS,
            intervalSeconds: 10,
            timeoutSeconds: 60,
            what: "Azure RBAC grant /x/roleAssignments/a",
            sleep: async ms => {
                sleeps.push(ms);
            },
        }).then(
            () => undefined,
            e => e as Error,
        );
        assert.ok(err, "rejects");
        assert.match(
            err!.message,
            /^Azure RBAC grant \/x\/roleAssignments\/a is not effective on https:\/\/127\.0\.0\.1:\d+ after 7 checks over 60 s/,
        );
        assert.match(
            err!.message,
            /last answer: create apiextensions\.k8s\.io\/customresourcedefinitions: not allowed \(no RBAC policy matched\)/,
        );
        assert.equal(reviews.length, 7);
        assert.equal(sleeps.length, 6);
    });

    it("retries a failing round (untrusted certificate) and reports it", async () => {
        allowAfterRounds = 0;
        const wrongCa = {
            ...connection,
            certificateAuthorityData: Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64"),
        };
        const err = await waitForGrant({
            connection: wrongCa,
            checks: DEPLOYER_ACCESS_CHECKS,
            intervalSeconds: 1,
            timeoutSeconds: 2,
            what: "grant g",
            sleep: async () => undefined,
        }).then(
            () => undefined,
            e => e as Error,
        );
        assert.match(err!.message, /after 3 checks over 2 s \(last answer: /);
        assert.equal(reviews.length, 0, "never talks to a server it cannot verify");
    });

    it("the dynamic provider's create polls the same way and records its inputs; diff replaces only for a new grant", async () => {
        allowAfterRounds = 1;
        const state: GrantCheckState = {
            roleAssignmentId: "/x/roleAssignments/a",
            connection,
            checks: [...DEPLOYER_ACCESS_CHECKS],
            intervalSeconds: 1,
            timeoutSeconds: 5,
        };
        const created = await provider.create!(state);
        assert.equal(created.id, "/x/roleAssignments/a/effective");
        assert.equal(reviews.length, DEPLOYER_ACCESS_CHECKS.length);
        const same = await provider.diff!("x", state, {
            ...state,
            timeoutSeconds: 900,
            connection: { ...connection, server: "https://other" },
        });
        assert.deepEqual([same.changes, same.replaces], [false, []]);
        const other = await provider.diff!("x", state, { ...state, roleAssignmentId: "/x/roleAssignments/b" });
        assert.deepEqual([other.changes, other.replaces], [true, ["roleAssignmentId"]]);
        assert.equal(provider.update, undefined);
    });

    it("rejects an unbounded or nonsensical wait before registering", () => {
        assert.equal(DEFAULT_TIMEOUT_SECONDS, 600, "twice the five minutes Microsoft documents");
        for (const [intervalSeconds, timeoutSeconds] of [
            [0, 60],
            [10, 5],
            [10, 36000],
            [1.5, 60],
        ]) {
            assert.throws(
                () => new RbacGrantEffective("g", { roleAssignmentId: "/a", connection, intervalSeconds, timeoutSeconds }),
                /must be an integer/,
            );
        }
    });
});

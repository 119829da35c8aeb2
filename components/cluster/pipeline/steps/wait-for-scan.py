#!/usr/bin/env python3
# wait-for-scan / wait: wait for Harbor's scan of the pushed digest, then fail on vulnerabilities
# at or above the blocking severity that the project's reviewed CVE allowlist does not cover.
# Env: HARBOR (host[:port]), PROJECT, REPOSITORY, DIGEST, TIMEOUT (s), BLOCK (severities,
# comma-separated, upper case), AUTH_DIR (docker config.json of the Harbor robot).
import json, os, sys, time, urllib.parse, urllib.request


def docker_auth(config_dir, host):
    with open(os.path.join(config_dir, 'config.json')) as f:
        auths = json.load(f)['auths']
    return 'Basic ' + auths[host]['auth']


def call(url, auth, headers=None):
    h = {'Authorization': auth, 'Accept': 'application/json', **(headers or {})}
    with urllib.request.urlopen(urllib.request.Request(url, headers=h), timeout=30) as r:
        raw = r.read()
        return json.loads(raw) if raw else None


env = os.environ
auth = docker_auth(env['AUTH_DIR'], env['HARBOR'])
block = set(env['BLOCK'].split(','))
# Harbor expects the repository name URL-encoded twice in the path ("a/b" -> "a%252Fb").
repo = urllib.parse.quote(urllib.parse.quote(env['REPOSITORY'], safe=''), safe='')
api = f"https://{env['HARBOR']}/api/v2.0"
base = f"{api}/projects/{env['PROJECT']}/repositories/{repo}/artifacts/{env['DIGEST']}"
deadline = time.time() + int(env['TIMEOUT'])
accept = {'X-Accept-Vulnerabilities': 'application/vnd.security.vulnerability.report; version=1.1, application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0'}
while True:
    art = call(base + '?with_scan_overview=true', auth, accept)
    overview = next(iter((art.get('scan_overview') or {}).values()), {})
    status = overview.get('scan_status', 'NotScanned')
    if status == 'Success':
        break
    if status == 'Error' or time.time() > deadline:
        sys.exit(f"scan of {env['DIGEST']} did not succeed (status {status})")
    time.sleep(10)
project = call(f"{api}/projects/{env['PROJECT']}", auth)
allowed = {i['cve_id'] for i in (project.get('cve_allowlist') or {}).get('items') or []}
additions = call(base + '/additions/vulnerabilities', auth, accept)
found = [v for report in (additions or {}).values() for v in report.get('vulnerabilities') or []]
blocking = sorted({v['id'] for v in found if v.get('severity', 'Unknown').upper() in block and v['id'] not in allowed})
print(f"{len(found)} findings, {len(blocking)} blocking ({env['BLOCK']}), {len(allowed)} allowlisted")
if blocking:
    sys.exit('blocking vulnerabilities: ' + ', '.join(blocking))

#!/usr/lib64/az/bin/python
# signature-check / image-references: EVERY image reference Argo CD could deploy from the manifests
# paths of a pull request's head, each of which must be `<acr>/…@sha256:<digest>`; written for the
# verify step, which checks each digest's signature. Nothing is diffed against the base branch: a
# base snapshot is not the merge result (GitHub's pull_request.base.sha is the branch head when the
# event was sent, not the merge-base), and an image kept from before is verified like a new one —
# as admission does.
#
# Listed are
# - every `image:` string (or other scalar) anywhere in any document, whatever its kind, as written,
#   and every image volume's `image.reference` (Kubernetes ImageVolume, `volumes[].image.reference`;
#   any other `image:` holding a mapping or list — some operators' CRDs — is no reference and not
#   listed: the pods such an operator creates are held by admission alone);
# - what the kustomize `images:` entries make of each raw value, anywhere under the paths, listed at
#   the line of the entry producing it — computed as kustomize v5.8.1 does (the version Argo CD v3.4.4
#   bundles: argoproj/argo-cd hack/tool-versions.sh; kubernetes-sigs/kustomize kustomize/v5.8.1
#   api/filters/imagetag/updater.go:30-60 SetImageValue, api/internal/image/image.go:13-18
#   IsImageMatched and Split; fields api/types/image.go): the entry's name is matched as an
#   (unescaped) regular expression, so names with metacharacters other than `.` are rejected;
#   newName replaces the name; newTag and/or digest replace BOTH the old tag and digest; tagSuffix
#   (or any other field) is rejected. Each entry is its own transformer, applied in order
#   (api/internal/target/kusttarget_configplugin.go:412-421), so a later entry can match an earlier
#   one's output: entries are applied to every value produced so far until nothing new comes out, and
#   every intermediate value is listed. The raw reference is listed too: an entry never excuses it
#   (kustomize scopes an entry to its own resources; pooling entries over the paths can only list more).
# A reference not pinned by digest is REJECTED, not resolved: a tag can be re-pointed after review,
# and the signature Chains made is bound to a digest.
#
# What Argo CD reads is read the same way or rejected (fail closed), naming file:line:
# - documents: a YAML file is split as Argo CD splits it (argo-cd v3.4.4
#   gitops-engine/pkg/utils/kube/kube.go:329-334 SplitYAMLToString → kubernetes/apimachinery v0.34.0
#   pkg/util/yaml/decoder.go:413-418 YAMLReader: a line starting `---` whose rest is blank or a `#` comment,
#   `---#` included, where PyYAML needs `---` and a space); a `---` line with anything else is an error
#   there and a separator to kustomize's kyaml (byteio_reader.go:174), so it is rejected; each part
#   is parsed alone and must be one mapping (or empty). (A file opening with `{` is first read as a
#   JSON stream there, decoder.go:294-337; PyYAML reads one such object alike and fails on several.)
# - files: Argo CD's directory source reads `*.yaml|yml|json|jsonnet` (argoproj/argo-cd v3.4.4
#   reposerver/repository/repository.go:1907 manifestFile); kustomize and Helm are detected by file
#   name (util/kustomize/kustomize.go:77 KustomizationNames; util/app/discovery/discovery.go:62, any
#   name ending in `Chart.yaml`). `.jsonnet`/`.libsonnet` files and Helm charts are rejected: the
#   check cannot render them.
# - YAML: Argo CD parses with sigs.k8s.io/yaml v1.6.0 (yaml.go:56 Unmarshal, non-strict) →
#   go.yaml.in/yaml/v2 v2.4.2 (github.com/yaml/go-yaml v2.4.2): a duplicate key's LAST value wins
#   (decode.go:685-690 setMapIndex), `!!binary` decodes to its bytes as a string (decode.go:419-425),
#   a custom tag `!x` resolves to the raw string (resolve.go:86-89) —
#   where PyYAML would keep the first key or a non-string node. So a mapping with a duplicate key, a
#   merge key `<<`, or a node with an explicit tag other than the core str/int/float/bool/null/map/
#   seq is rejected.
# - JSON (`.json`): Go encoding/json, where the last duplicate key also wins (repository.go:1973
#   getObjsFromYAMLOrJSON); duplicate keys are rejected (line: the object's).
# - kustomizations: kustomize decodes them with Go encoding/json (api/types/kustomization.go:340-356),
#   which matches field names case-insensitively (`Images:`, `NewName:`), so keys are compared
#   casefolded (covering Go's folds such as U+017F `ſ` → `s`) and two keys folding alike are
#   rejected. Only the fields in KUSTOMIZATION_KEYS (what the check reads, plus names, namespace,
#   labels, annotations, replicas) are accepted; the rest — patches of all kinds, replacements, Helm,
#   generators, transformers, configurations, vars, imageTags, crds, openapi, … which rewrite or
#   produce fields the check does not render — are rejected, and so is any `resources`/`bases`/
#   `components` entry that is not an existing file or directory inside the same manifests path
#   (kustomize fetches anything else as a remote target) or is a file not named .yaml/.yml/.json
#   (kustomize would read it, this walk would not).
# - Argo CD Applications (argoproj.io): an ApplicationSet is rejected (its generators template
#   repoURL and path at run time); an Application's source(s) must be the manifests repository at
#   the base branch, named (HEAD, the default, is the repository's default branch, maybe another),
#   and a path inside the manifests paths, without kustomize/helm/plugin/chart or directory.jsonnet
#   overrides — any other repository, revision or path holds manifests this check never read (the
#   `apps` AppProject already allows only the manifests repository, not only its paths). The keys of
#   `spec` (no sourceHydrator, whose syncSource Argo CD deploys instead: types.go:241 GetSource),
#   of each source and of `directory` are allowlisted; the path must also resolve (through symbolic
#   links, as util/app/path/path.go:15 does) inside a manifests path.
# A file under the paths that cannot be parsed fails the check; so does a symbolic link out of the
# repository, and a symbolic link to a directory under the paths (the walk does not follow it; Argo CD
# and kustomize would).
#
# Interpreter: the Azure CLI image's virtualenv, which has PyYAML (see policy-guard.py).
# Env: ACR (login server), HEAD (checkout of the PR's head), REPO_URL (the manifests repository),
# BRANCH (its base branch), OUT (tab-separated `file, line, reference, <repo>@<digest>` per reference).
# Arguments: the manifests paths, relative to the checkout.
import json, json.decoder, json.scanner, os, re, sys
import yaml

MANIFEST = re.compile(r'^.*\.(yaml|yml|json|jsonnet)$')
KUSTOMIZATION_FILES = ('kustomization.yaml', 'kustomization.yml', 'Kustomization')
CORE = 'tag:yaml.org,2002:'
PLAIN_TAGS = {CORE + t for t in ('str', 'int', 'float', 'bool', 'null', 'map', 'seq')}
# kustomize decodes a kustomization with Go encoding/json, unknown fields an error, names matched
# case-insensitively (kubernetes-sigs/kustomize kustomize/v5.8.1 api/types/kustomization.go:340-356).
# The fields the check reads or knows to be image-neutral (labels, names, namespace, replica counts):
KUSTOMIZATION_KEYS = ('apiVersion', 'kind', 'metadata', 'resources', 'bases', 'components', 'images', 'namespace',
                      'namePrefix', 'nameSuffix', 'commonLabels', 'labels', 'commonAnnotations', 'replicas')
# Fields that rewrite or produce fields (images included) the check does not render, or change which
# fields the images transformer touches (crds, openapi); imageTags is the deprecated twin of images.
UNSUPPORTED_KUSTOMIZE = ('patches', 'patchesStrategicMerge', 'patchesJson6902', 'replacements', 'helmCharts',
                         'helmGlobals', 'helmChartInflationGenerator', 'generators', 'transformers', 'validators',
                         'configurations', 'imageTags', 'vars', 'crds', 'openapi', 'configMapGenerator',
                         'secretGenerator', 'generatorOptions', 'sortOptions', 'buildMetadata')
# An `images:` entry's fields the check computes (api/types/image.go:8-24 also has tagSuffix: rejected).
IMAGE_ENTRY_KEYS = ('name', 'newName', 'newTag', 'digest')
# argoproj/argo-cd v3.4.4 pkg/apis/application/v1alpha1/types.go:77 ApplicationSpec, less sourceHydrator
# (types.go:241 GetSource prefers its syncSource over source/sources).
APPLICATION_SPEC_KEYS = ('project', 'destination', 'source', 'sources', 'syncPolicy', 'ignoreDifferences', 'info',
                         'revisionHistoryLimit')
# types.go:196 ApplicationSource: repoURL, path, targetRevision, directory (jsonnet rejected below) and the
# display-only name; helm/kustomize/plugin/chart render what the check cannot, ref feeds other sources.
APPLICATION_SOURCE_KEYS = ('repoURL', 'path', 'targetRevision', 'directory', 'name')
UNSUPPORTED_SOURCE = ('kustomize', 'helm', 'plugin', 'chart')
DIRECTORY_KEYS = ('recurse', 'exclude', 'include')  # types.go:902 ApplicationSourceDirectory, less jsonnet
# An `images:` entry name whose regular-expression reading is the same in Go (RE2) and Python: `.` is
# the one metacharacter left, and it means "any character" in both.
LITERAL_NAME = re.compile(r'^[A-Za-z0-9._/:@-]+\Z')
# <host>[:port]/<path>[:tag]@sha256:<64 hex> (distribution/reference grammar, lower-case path).
PINNED = re.compile(r'^(?P<repo>[a-z0-9]+(?:[.-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+)'
                    r'(?::[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?@(?P<digest>sha256:[0-9a-f]{64})$')


class Problem(Exception):
    """Something the check cannot read as Argo CD would: `line: message`."""

    def __init__(self, line, message):
        super().__init__(f'{line}: {message}')


class Node:
    """A parsed value: kind 'map' (value: [(key, Node)]), 'seq' ([Node]), 'scalar' (text) or 'null'."""

    def __init__(self, kind, value, line, key_lines=None):
        self.kind, self.value, self.line = kind, value, line
        self.key_lines = key_lines or {}  # map: key → the line of the key itself

    def key_line(self, key):
        return self.key_lines.get(key, self.line)

    def get(self, key):
        return next((v for k, v in self.value if k == key), None) if self.kind == 'map' else None

    def text(self, key):
        v = self.get(key)
        return v.value if v is not None and v.kind == 'scalar' else None


class StrictLoader(yaml.SafeLoader):
    """PyYAML's composer, refusing what go-yaml v2 reads differently (see the header)."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        tag = getattr(event, 'tag', None)
        if tag not in (None, '!') and tag not in PLAIN_TAGS:
            raise Problem(event.start_mark.line + 1, f'YAML tag {tag} (only plain values are read as Argo CD reads them)')
        return super().compose_node(parent, index)

    def compose_mapping_node(self, anchor):
        node = super().compose_mapping_node(anchor)
        first = {}
        for k, _v in node.value:
            line = k.start_mark.line + 1
            if k.tag == CORE + 'merge':
                raise Problem(line, 'YAML merge key `<<` (not supported: write the keys out)')
            if not isinstance(k, yaml.ScalarNode):
                raise Problem(line, 'a mapping key that is not a plain value')
            if k.value in first:
                raise Problem(line, f'duplicate key `{k.value}` (also at line {first[k.value]}): Argo CD keeps the last one')
            first[k.value] = line
        return node


def from_yaml(n, memo):
    if id(n) in memo:
        return memo[id(n)]
    line = n.start_mark.line + 1
    if isinstance(n, yaml.MappingNode):
        out = memo[id(n)] = Node('map', [], line, {k.value: k.start_mark.line + 1 for k, _v in n.value})
        out.value = [(k.value, from_yaml(v, memo)) for k, v in n.value]
    elif isinstance(n, yaml.SequenceNode):
        out = memo[id(n)] = Node('seq', [], line)
        out.value = [from_yaml(v, memo) for v in n.value]
    else:
        out = Node('null' if n.tag == CORE + 'null' else 'scalar', n.value, line)
    return out


def parse_json(text):
    """One JSON document as a Node; each object's line is where it opens, duplicate keys rejected."""

    def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
        s, end = s_and_end
        line = s.count('\n', 0, end) + 1

        def pairs_hook(pairs):
            seen = set()
            for k, _v in pairs:
                if k in seen:
                    raise Problem(line, f'duplicate key `{k}` in the object opening here: Go encoding/json keeps the last one')
                seen.add(k)
            return ('object', pairs, line)

        return json.decoder.JSONObject(s_and_end, strict, scan_once, object_hook, pairs_hook, memo)

    decoder = json.JSONDecoder()
    decoder.parse_object = parse_object
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # the pure-Python scanner calls parse_object

    def node(x, line):
        if isinstance(x, tuple):
            return Node('map', [(k, node(v, x[2])) for k, v in x[1]], x[2])
        if isinstance(x, list):
            return Node('seq', [node(v, line) for v in x], line)
        if x is None:
            return Node('null', None, line)
        return Node('scalar', x if isinstance(x, str) else json.dumps(x), line)

    return node(decoder.decode(text), 1)


def yaml_chunks(text):
    """(first line index, text) of each document, split as Argo CD splits a file: kubernetes/apimachinery
    v0.34.0 pkg/util/yaml/decoder.go:413-418 YAMLReader ends a document at any line starting with `---`
    whose rest is blank or a comment (`---#` too, where YAML needs `---` and a space), and fails on
    any other `---…` line, at which kustomize's kyaml splits (kustomize/v5.8.1 kyaml/kio/byteio_reader.go:174
    `\n---.*\n`): such a line is rejected, as the two readers disagree on it."""
    chunks, start, buf = [], 0, []
    for i, line in enumerate(text.split('\n')):
        if line.startswith('---'):
            rest = line[3:].strip()
            if rest and not rest.startswith('#'):
                raise Problem(i + 1, f'a line starting with `---` followed by {rest[:20]!r}: a document separator to '
                              'kustomize, an error to Argo CD (only `---` and a comment may share the line)')
            chunks.append((start, buf))
            start, buf = i + 1, []
        else:
            buf.append(line)
    chunks.append((start, buf))
    return [(first, '\n'.join(lines)) for first, lines in chunks]


def documents(root, rel):
    # A leading byte-order mark is dropped, as Argo CD's reader does (repository.go:1961 utfutil.OpenFile).
    with open(os.path.join(root, rel), encoding='utf-8-sig') as stream:
        text = stream.read()
    if rel.endswith('.json'):
        docs = [parse_json(text)]
    else:
        docs = []
        for first, chunk in yaml_chunks(text):
            # Each chunk is one document to Argo CD (sigs.k8s.io/yaml Unmarshal reads the first only): more
            # (a `...` end marker) is rejected. Leading blank lines keep PyYAML's line numbers the file's.
            parsed = [d for d in yaml.compose_all('\n' * first + chunk, Loader=StrictLoader) if d is not None]
            if len(parsed) > 1:
                raise Problem(parsed[1].start_mark.line + 1, 'a second YAML document without a `---` line '
                              '(Argo CD reads only the first)')
            docs += [from_yaml(d, {}) for d in parsed]
    for doc in docs:
        if doc.kind not in ('map', 'null'):
            raise Problem(doc.line, 'a document that is not a mapping (an object) nor empty')
    return [doc for doc in docs if doc.kind == 'map']


def image_fields(node, seen):
    """(line, value) of every `image:` scalar under node."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if node.kind == 'map':
        for k, v in node.value:
            if k == 'image' and v.kind == 'scalar':
                yield v.line, v.value
            elif k == 'image' and v.kind == 'map' and v.get('reference') is not None:
                # An image volume (Kubernetes ImageVolume: volumes[].image.reference) pulls an OCI image too.
                ref = v.get('reference')
                yield ref.line, ref.value if ref.kind == 'scalar' else str(ref.value)
            yield from image_fields(v, seen)
    elif node.kind == 'seq':
        for v in node.value:
            yield from image_fields(v, seen)


def mappings(node, seen):
    """node and every mapping under it."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if node.kind == 'map':
        yield node
    for v in (v for _k, v in node.value) if node.kind == 'map' else node.value if node.kind == 'seq' else ():
        yield from mappings(v, seen)


def inside(path, top):
    return path == top or path.startswith(top + os.sep)


def folded(node, known, what):
    """{known key: (key as written, value)} of a mapping Go encoding/json decodes, where a field name
    matches case-insensitively (Go's Unicode simple folding, which str.casefold covers: U+017F `ſ` is
    `s`, U+212A Kelvin is `k`) and the last of two spellings wins: two keys folding alike are rejected,
    and so is any key not among known (`what` names it in the message)."""
    canonical = {k.casefold(): k for k in known}
    out, first = {}, {}
    for k, v in node.value:
        f = k.casefold()
        if f in first:
            raise Problem(node.key_line(k), f'{what} keys `{first[f]}` and `{k}` are the same field to kustomize '
                          '(Go encoding/json matches names case-insensitively; the last one wins)')
        first[f] = k
        if f not in canonical:
            raise Problem(node.key_line(k), f'{what} key `{k}` is not read by the signature check')
        out[canonical[f]] = (k, v)
    return out


def kustomization(root, rel, top, doc):
    """The `images:` entries of a kustomization, after rejecting what the check cannot follow."""
    for k, _v in doc.value:
        match = next((u for u in UNSUPPORTED_KUSTOMIZE if u.casefold() == k.casefold()), None)
        if match is not None:
            raise Problem(doc.key_line(k), f'kustomize `{k}` is not supported by the signature check '
                          '(it can rewrite or add image references the check does not render)')
    fields = folded(doc, KUSTOMIZATION_KEYS, 'kustomization')
    real_top = os.path.realpath(os.path.join(root, top))
    for key in ('resources', 'bases', 'components'):
        written, items = fields.get(key, (key, None))
        for item in items.value if items is not None and items.kind == 'seq' else \
                ([items] if items is not None and items.kind != 'null' else []):
            target = item.value if item.kind == 'scalar' else None
            resolved = os.path.realpath(os.path.join(root, os.path.dirname(rel), target)) if target else None
            if not (resolved and inside(resolved, real_top) and os.path.exists(resolved)):
                raise Problem(item.line, f'kustomize `{written}` entry {target!r} is not a file or directory inside {top} '
                              '(remote and out-of-path resources are not checked)')
            if os.path.isfile(resolved) and not target.endswith(('.yaml', '.yml', '.json')):
                # kustomize reads any file as YAML; the check (like Argo CD's directory source) reads these.
                raise Problem(item.line, f'kustomize `{written}` entry {target!r} is not a .yaml/.yml/.json file: '
                              'the check does not read it')
    # A `labels` entry's `fields` (kustomize/v5.8.1 api/types/labels.go:19) sets its pairs at any field
    # path, e.g. a pair `image: …` into each container: only pairs and the two include flags are read.
    _written, labels = fields.get('labels', ('labels', None))
    for entry in labels.value if labels is not None and labels.kind == 'seq' else []:
        if entry.kind == 'map':
            folded(entry, ('pairs', 'includeSelectors', 'includeTemplates'), 'kustomize `labels` entry')
    entries = []
    _written, images = fields.get('images', ('images', None))
    for entry in images.value if images is not None and images.kind == 'seq' else []:
        if entry.kind != 'map':
            raise Problem(entry.line, 'kustomize `images` entry that is not a mapping')
        # tagSuffix (kustomize/v5.8.1 api/filters/imagetag/updater.go:50 appends it to the tag and drops
        # the digest) and any other field are rejected.
        values = folded(entry, IMAGE_ENTRY_KEYS, 'kustomize `images` entry')
        get = {k: values[k][1].value if k in values and values[k][1].kind == 'scalar' else None for k in IMAGE_ENTRY_KEYS}
        if not get['name']:
            raise Problem(entry.line, 'kustomize `images` entry without a name')
        if LITERAL_NAME.match(get['name']) is None:
            raise Problem(entry.line, f"kustomize `images` entry name {get['name']!r}: kustomize matches it as a "
                          'regular expression; only letters, digits and `._/:@-` are supported')
        if get['newName'] or get['newTag'] or get['digest']:
            entries.append((entry.line, get))
    return entries


def normalized_repo(url):
    """Argo CD compares repositories normalized (util/git NormalizeGitURL: case, `.git`, trailing `/`)."""
    url = (url or '').strip().lower().rstrip('/')
    return url[:-4] if url.endswith('.git') else url


def application(root, doc, paths, repo, branch):
    """Reject an Argo CD Application/ApplicationSet deploying anything but plain manifests under the paths."""
    api, kind = doc.text('apiVersion') or '', doc.text('kind')
    if not api.startswith('argoproj.io/') or kind not in ('Application', 'ApplicationSet'):
        return
    if kind == 'ApplicationSet':
        raise Problem(doc.line, 'an Argo CD ApplicationSet: its generators choose repositories and paths at run time, '
                      'which the signature check cannot follow (write the Applications out)')
    spec = doc.get('spec')
    for k, _v in spec.value if spec is not None and spec.kind == 'map' else []:
        if k not in APPLICATION_SPEC_KEYS:
            raise Problem(spec.key_line(k), f'an Argo CD Application with `spec.{k}`: only '
                          f"{', '.join(APPLICATION_SPEC_KEYS)} are checked (sourceHydrator deploys another path)")
    sources = []
    if spec is not None and spec.get('source') is not None:
        sources.append(spec.get('source'))
    if spec is not None and spec.get('sources') is not None and spec.get('sources').kind == 'seq':
        sources += spec.get('sources').value
    for s in sources:
        if s.kind != 'map':
            raise Problem(s.line, 'an Argo CD Application source that is not a mapping')
        for key, _v in s.value:
            if key in UNSUPPORTED_SOURCE:
                raise Problem(s.key_line(key), f'an Argo CD Application source with `{key}`: its rendering is not '
                              'checked (only plain manifests under the manifests paths are)')
            if key not in APPLICATION_SOURCE_KEYS:
                raise Problem(s.key_line(key), f'an Argo CD Application source with `{key}`: only '
                              f"{', '.join(APPLICATION_SOURCE_KEYS)} are checked")
        directory = s.get('directory')
        if directory is not None and directory.get('jsonnet') is not None:
            raise Problem(directory.key_line('jsonnet'), 'an Argo CD Application source with `directory.jsonnet`: '
                          'jsonnet is not checked')
        for key, _v in directory.value if directory is not None and directory.kind == 'map' else []:
            if key not in DIRECTORY_KEYS + ('jsonnet',):
                raise Problem(directory.key_line(key), f'an Argo CD Application source with `directory.{key}`: not checked')
        if normalized_repo(s.text('repoURL')) != normalized_repo(repo):
            raise Problem(s.line, f"an Argo CD Application source from {s.text('repoURL')!r}: only the manifests "
                          f'repository {repo} is checked')
        # Not HEAD (nor none): that is the repository's default branch, not necessarily this one.
        revision = s.text('targetRevision') or 'HEAD'
        if revision not in (branch, f'refs/heads/{branch}'):
            raise Problem(s.line, f'an Argo CD Application source at targetRevision {revision!r}: only {branch} '
                          '(what this check guards) is checked')
        path = os.path.normpath(s.text('path') or '.')
        if not any(inside(path, os.path.normpath(p)) for p in paths):
            raise Problem(s.line, f"an Argo CD Application source path {s.text('path')!r} outside the manifests "
                          f"paths ({', '.join(paths)}): not checked")
        # Argo CD resolves the path through symbolic links (argo-cd v3.4.4 util/app/path/path.go:15
        # Path: filepath.Join, then os.Stat): where it really is must be inside a manifests path too.
        real = os.path.realpath(os.path.join(root, path))
        if not any(inside(real, os.path.realpath(os.path.join(root, p))) for p in paths):
            raise Problem(s.line, f"an Argo CD Application source path {s.text('path')!r} leads through a symbolic "
                          f"link out of the manifests paths ({', '.join(paths)}): not checked")


def read_paths(root, paths, repo, branch):
    """Raw references and kustomize entries under the paths, and the problems (file:line: message)."""
    raw, entries, problems = [], [], []
    real_root = os.path.realpath(root)
    for top in paths:
        if not os.path.exists(os.path.join(root, top)):
            problems.append(f'no path {top} in the pull request')
            continue
        walk = [(os.path.dirname(top), [], [os.path.basename(top)])] if os.path.isfile(os.path.join(root, top)) \
            else [(os.path.relpath(d, root), dirs, names) for d, dirs, names in os.walk(os.path.join(root, top))]
        for d, dirs, names in walk:
            for sub in sorted(dirs):
                # os.walk does not descend into a linked directory; Argo CD and kustomize follow it.
                if os.path.islink(os.path.join(root, d, sub)):
                    problems.append(f'{os.path.normpath(os.path.join(d, sub))}: a symbolic link to a directory under '
                                    'the manifests paths (the check does not follow it)')
            for name in sorted(names):
                rel = os.path.normpath(os.path.join(d, name))
                if not (MANIFEST.match(name) or name in KUSTOMIZATION_FILES or name.endswith('.libsonnet')):
                    continue
                if not inside(os.path.realpath(os.path.join(root, rel)), real_root):
                    problems.append(f'{rel}: a symbolic link out of the repository')
                elif name.endswith(('.jsonnet', '.libsonnet')):
                    problems.append(f'{rel}:1: a jsonnet file: Argo CD renders it, the signature check cannot')
                elif name.endswith('Chart.yaml'):
                    problems.append(f'{rel}:1: a Helm chart: Argo CD renders it, the signature check cannot')
                else:
                    try:
                        for doc in documents(root, rel):
                            raw += [(rel, line, ref) for line, ref in image_fields(doc, set())]
                            if name in KUSTOMIZATION_FILES:
                                entries += [(rel, line, e) for line, e in kustomization(root, rel, top, doc)]
                            for m in mappings(doc, set()):  # a `List`'s items included
                                application(root, m, paths, repo, branch)
                    except Problem as e:
                        problems.append(f'{rel}:{e}')
                    except (yaml.YAMLError, ValueError, OSError) as e:
                        problems.append(f'{rel}: cannot be read as YAML/JSON ({e.__class__.__name__}: {e})')
    return raw, entries, problems


def split(image):
    """name, tag, digest of a reference, as kustomize splits it (api/image/image.go Split)."""
    slash = image.find('/')
    search = image[slash:] if slash > 0 else image
    slash = max(slash, 0)
    at, colon = search.find('@'), search.find(':')
    if colon < 0 and at < 0:
        return image, '', ''
    if at >= 0 and (at < colon or colon < 0):
        return image[:at + slash], '', image[at + slash + 1:]
    if at >= 0:
        return image[:colon + slash], image[colon + slash + 1:at + slash], image[at + slash + 1:]
    return image[:colon + slash], image[colon + slash + 1:], ''


def rewrite(value, e):
    """What an `images:` entry makes of an `image:` value, or None where it does not match (kustomize
    api/filters/imagetag/updater.go SetImageValue; the entry's name is a regular expression, unescaped:
    api/image/image.go IsImageMatched)."""
    if not re.match('^' + e['name'] + r'(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?\Z', value):
        return None
    name, tag, digest = split(value)
    name = e['newName'] or name
    if e['newTag'] or e['digest']:  # overriding either replaces both
        tag, digest = e['newTag'] or '', e['digest'] or ''
    return name + (':' + tag if tag else '') + ('@' + digest if digest else '')


def references(raw, entries):
    """(file, line, reference) of every raw reference, and of what the kustomize entries make of it (at
    the entry's line). kustomize runs each entry as its own transformer, in order (kustomize/v5.8.1
    api/internal/target/kusttarget_configplugin.go:412-421), so an entry also matches what an earlier
    one (or a child kustomization's) produced: every entry is applied to every value produced so far
    until nothing new comes out — a superset of any order, finite as every part of a result comes from
    a raw value or an entry."""
    refs = set(raw)
    values = {ref for _f, _l, ref in raw}
    frontier = set(values)
    while frontier:
        produced = set()
        for rel, line, e in entries:
            for ref in frontier:
                new = rewrite(ref, e)
                if new is not None:
                    refs.add((rel, line, new))
                    if new not in values:
                        values.add(new)
                        produced.add(new)
        frontier = produced
    return sorted(refs)


def main():
    acr, head, out = os.environ['ACR'], os.environ['HEAD'], os.environ['OUT']
    repo, branch = os.environ['REPO_URL'], os.environ['BRANCH']
    paths = sys.argv[1:]
    raw, entries, problems = read_paths(head, paths, repo, branch)
    listed = []
    for rel, line, ref in references(raw, entries):
        m = PINNED.match(ref)
        reasons = []
        if not (m and m.group('repo').startswith(acr + '/')) and not ref.startswith(acr + '/'):
            reasons.append(f"not in the stack's registry {acr}")
        if not m:
            reasons.append('not pinned by digest (<repository>@sha256:<64 hex>): a tag can be moved after review, '
                           'and signatures are bound to digests')
        if reasons:
            problems.append(f'{rel}:{line}: {ref}: {"; ".join(reasons)}')
        else:
            listed.append((rel, line, ref, f"{m.group('repo')}@{m.group('digest')}"))

    if problems:
        print('The pull request holds manifests whose images cannot be verified:', file=sys.stderr)
        for p in problems:
            print('  ' + p, file=sys.stderr)
        sys.exit(1)
    with open(out, 'w', encoding='utf-8') as f:
        f.writelines(f'{rel}\t{line}\t{ref}\t{pinned}\n' for rel, line, ref, pinned in listed)
    print(f'{len(listed)} image reference(s) under {", ".join(paths)}, all to be verified:')
    for rel, line, ref, _pinned in listed:
        print(f'  {rel}:{line}: {ref}')


main()

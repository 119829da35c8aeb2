#!/usr/lib64/az/bin/python
# signature-check / introduced-images: the image references a manifests pull request introduces,
# each of which must come from the stack's ACR pinned by digest; written for the verify step.
#
# "Introduced" is per file: a reference in a file of the PR's head that the same file in the base
# commit does not hold (added or changed lines, new files, new documents of a multi-document file).
# Unchanged and removed references are not re-checked: the base already held them. Found are
# - every `image:` string anywhere in any document (Pod, Deployment, CronJob, any CRD that embeds a
#   pod template…), except in ConfigMap/Secret documents, whose data is opaque text;
# - every entry of a kustomization's `images:` list, as kustomize composes it: newName (else name),
#   `:newTag`, `@digest` (kubernetes-sigs/kustomize api/types/image.go Image; api/filters/imagetag
#   updater.go). A raw `image:` whose name a kustomization in the PR rewrites is left to that entry.
# A reference that is not pinned by digest is REJECTED, not resolved: a tag can be re-pointed after
# review (what was checked is not what runs), and the signature Chains made is bound to a digest.
# Files are what gator and kubeconform read (.yaml/.yml/.json, directories walked); a file of the
# head that cannot be parsed fails the check (fail closed); a base file that cannot be parsed counts
# as empty (everything in the head's file is then "introduced").
#
# Interpreter: the Azure CLI image's virtualenv, which has PyYAML (see policy-guard.py).
# Env: ACR (login server), BASE (checkout of the PR's base commit), HEAD (checkout of its head;
# both by git-clone),
# OUT (tab-separated `file, line, reference, <repo>@<digest>` per introduced reference).
# Arguments: the manifests paths, relative to the checkouts.
import os, re, sys
import yaml

EXTENSIONS = ('.yaml', '.yml', '.json')
KUSTOMIZATION_FILES = ('kustomization.yaml', 'kustomization.yml', 'Kustomization')
OPAQUE_KINDS = ('ConfigMap', 'Secret')
STR = 'tag:yaml.org,2002:str'
# <host>[:port]/<path>[:tag]@sha256:<64 hex> (distribution/reference grammar, lower-case path).
PINNED = re.compile(r'^(?P<repo>[a-z0-9]+(?:[.-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+)'
                    r'(?::[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?@(?P<digest>sha256:[0-9a-f]{64})$')


def files_under(root, path):
    top = os.path.join(root, path)
    if os.path.isfile(top):
        return [path]
    found = []
    for d, _dirs, names in os.walk(top):
        found += [os.path.relpath(os.path.join(d, n), root) for n in names if os.path.splitext(n)[1] in EXTENSIONS
                  or n in KUSTOMIZATION_FILES]
    return sorted(found)


def scalar(node):
    return node.value if isinstance(node, yaml.ScalarNode) and node.tag == STR else None


def field(mapping, key):
    for k, v in mapping.value:
        if scalar(k) == key:
            return v
    return None


def image_fields(node, seen):
    """(line, value) of every `image:` string under node."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if scalar(k) == 'image' and scalar(v) is not None:
                yield v.start_mark.line + 1, v.value.strip()
            yield from image_fields(v, seen)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            yield from image_fields(v, seen)


def kustomize_images(doc):
    """(line, composed reference, original name) per `images:` entry of a kustomization."""
    images = field(doc, 'images')
    for entry in images.value if isinstance(images, yaml.SequenceNode) else []:
        if not isinstance(entry, yaml.MappingNode):
            continue
        get = {k: scalar(field(entry, k)) for k in ('name', 'newName', 'newTag', 'digest')}
        if not (get['newName'] or get['newTag'] or get['digest']):
            continue
        ref = (get['newName'] or get['name'] or '') + (':' + get['newTag'] if get['newTag'] else '') + \
              ('@' + get['digest'] if get['digest'] else '')
        yield entry.start_mark.line + 1, ref, get['name']


def references(root, rel):
    """(line, reference, kustomize name or None) in one file; raises on a file that cannot be parsed."""
    with open(os.path.join(root, rel), encoding='utf-8') as stream:
        docs = list(yaml.compose_all(stream, Loader=yaml.SafeLoader))
    found = []
    for doc in docs:
        if not isinstance(doc, yaml.MappingNode):
            continue
        kind = scalar(field(doc, 'kind') or yaml.ScalarNode(STR, ''))
        if kind in OPAQUE_KINDS:
            continue
        if kind == 'Kustomization' or os.path.basename(rel) in KUSTOMIZATION_FILES:
            found += list(kustomize_images(doc))
        found += [(line, ref, None) for line, ref in image_fields(doc, set())]
    return found


def image_name(ref):
    name = ref.split('@', 1)[0]
    slash = name.rfind('/')
    colon = name.rfind(':')
    return name[:colon] if colon > slash else name


def main():
    acr, base, head, out = os.environ['ACR'], os.environ['BASE'], os.environ['HEAD'], os.environ['OUT']
    problems, head_refs, base_refs = [], {}, {}
    for path in sys.argv[1:]:
        if not os.path.exists(os.path.join(head, path)):
            problems.append(f'no path {path} in the pull request')
            continue
        for rel in files_under(head, path):
            real = os.path.realpath(os.path.join(head, rel))
            if not real.startswith(os.path.realpath(head) + os.sep):
                problems.append(f'{rel}: a symbolic link out of the repository')
                continue
            try:
                head_refs[rel] = references(head, rel)
            except (yaml.YAMLError, UnicodeDecodeError, OSError) as e:
                problems.append(f'{rel}: cannot be read as YAML/JSON ({e.__class__.__name__}: {e})')
        for rel in files_under(base, path) if os.path.exists(os.path.join(base, path)) else []:
            try:
                base_refs[rel] = {ref for _line, ref, _name in references(base, rel)}
            except (yaml.YAMLError, UnicodeDecodeError, OSError):
                base_refs[rel] = set()
    # Names a kustomization of the head rewrites: their raw `image:` fields are not what is deployed.
    rewritten = {name for refs in head_refs.values() for _l, _r, name in refs if name}

    introduced = []
    for rel in sorted(head_refs):
        for line, ref, kname in head_refs[rel]:
            if ref in base_refs.get(rel, set()) or (kname is None and image_name(ref) in rewritten):
                continue
            where = f'{rel}:{line}: {ref}'
            m = PINNED.match(ref)
            reasons = []
            if not (m and m.group('repo').startswith(acr + '/')) and not ref.startswith(acr + '/'):
                reasons.append(f"not in the stack's registry {acr}")
            if not m:
                reasons.append('not pinned by digest (<repository>@sha256:<64 hex>): a tag can be moved after review, '
                               'and signatures are bound to digests')
            if reasons:
                problems.append(f'{where}: {"; ".join(reasons)}')
            else:
                introduced.append((rel, line, ref, f"{m.group('repo')}@{m.group('digest')}"))

    if problems:
        print('The pull request introduces image references that cannot be verified:', file=sys.stderr)
        for p in problems:
            print('  ' + p, file=sys.stderr)
        sys.exit(1)
    with open(out, 'w', encoding='utf-8') as f:
        f.writelines(f'{rel}\t{line}\t{ref}\t{pinned}\n' for rel, line, ref, pinned in introduced)
    print(f'{len(introduced)} image reference(s) introduced under {", ".join(sys.argv[1:])}:')
    for rel, line, ref, _pinned in introduced:
        print(f'  {rel}:{line}: {ref}')


main()

#!/usr/bin/env python3
"""`--config-hash --kustomize` on every entry point of a kustomize corpus,
judged by a second implementation of README's digest layout (this file; it
shares no code with the tool).

    python3 tests/kustomize_corpus.py target/release/reload-stamp ../shared/corpus/kustomize

For each directory with a kustomization that is not a `kind: Component`
and that `kubectl kustomize` builds, on a fresh copy of its project:

1. `--write` it (exit 0);
2. rebuild it with `kubectl kustomize`, and compare each workload's
   `checksum/config` with the digest this file computes over that build
   (no annotation where no referenced object is found);
3. `--check` again (exit 0);
4. change a value a workload uses at its source (a YAML line, a generator
   literal or env line, a generator file): `--check` exits 1, `--write`
   and a rebuild give the new digest, which differs from the old one;
5. change a value no workload uses (an unreferenced key, else a container
   image): `--check` exits 0.

Prints one line per entry and `N passed, M failed`; exits 1 on any failure.
"""

import concurrent.futures
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

KEY = "checksum/config"
KINDS = {"Deployment", "StatefulSet", "DaemonSet"}
KUSTOMIZATION = ("kustomization.yaml", "kustomization.yml", "Kustomization")
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
ANNOTATION_REFS = (
    ("configmap.reloader.stakater.com/reload", "ConfigMap", False),
    ("secret.reloader.stakater.com/reload", "Secret", False),
    ("wave.pusher.com/extra-configmaps", "ConfigMap", True),
    ("wave.pusher.com/extra-secrets", "Secret", True),
)


def build(d):
    p = subprocess.run(["kubectl", "kustomize", d], capture_output=True, text=True)
    if p.returncode != 0:
        return None, p.stderr.strip()
    return list(d for d in yaml.safe_load_all(p.stdout) if isinstance(d, dict)), ""


def is_workload(o):
    group = str(o.get("apiVersion", "")).rpartition("/")[0]
    return o.get("kind") in KINDS and group in ("apps", "extensions")


def meta(o):
    return o.get("metadata") or {}


def as_text(v):
    """A data value as README says it is read: the string, a null empty."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def refs(w):
    """(kind, name, namespace or None, keys or None for all) of a workload."""
    out = []
    spec = (((w.get("spec") or {}).get("template") or {}).get("spec")) or {}

    def items(src):
        its = src.get("items")
        return None if not its else {i.get("key") for i in its if isinstance(i, dict)}

    for v in spec.get("volumes") or []:
        if v.get("configMap"):
            out.append(("ConfigMap", v["configMap"].get("name"), None, items(v["configMap"])))
        if v.get("secret"):
            out.append(("Secret", v["secret"].get("secretName"), None, items(v["secret"])))
        for s in ((v.get("projected") or {}).get("sources")) or []:
            if s.get("configMap"):
                out.append(("ConfigMap", s["configMap"].get("name"), None, items(s["configMap"])))
            if s.get("secret"):
                out.append(("Secret", s["secret"].get("name"), None, items(s["secret"])))
    for lst in CONTAINER_LISTS:
        for c in spec.get(lst) or []:
            for e in c.get("envFrom") or []:
                if e.get("configMapRef"):
                    out.append(("ConfigMap", e["configMapRef"].get("name"), None, None))
                if e.get("secretRef"):
                    out.append(("Secret", e["secretRef"].get("name"), None, None))
            for e in c.get("env") or []:
                vf = e.get("valueFrom") or {}
                if vf.get("configMapKeyRef"):
                    r = vf["configMapKeyRef"]
                    out.append(("ConfigMap", r.get("name"), None, {r.get("key")}))
                if vf.get("secretKeyRef"):
                    r = vf["secretKeyRef"]
                    out.append(("Secret", r.get("name"), None, {r.get("key")}))
    ann = meta(w).get("annotations") or {}
    for key, kind, namespaced in ANNOTATION_REFS:
        for item in str(ann.get(key, "")).split(","):
            item = item.strip()
            if not item:
                continue
            ns, _, name = item.rpartition("/") if namespaced and "/" in item else (None, "", item)
            out.append((kind, name, ns or None, None))
    return [r for r in out if r[1]]


def objects(docs):
    """(kind, namespace, name) -> sections, of the build's ConfigMaps and Secrets."""
    found = {}
    for o in docs:
        if o.get("kind") not in ("ConfigMap", "Secret") or o.get("apiVersion") != "v1":
            continue
        if (meta(o).get("annotations") or {}).get("reloader.stakater.com/ignore") == "true":
            continue
        sections = []
        for s in ("data", "binaryData", "stringData"):
            if o.get(s) is not None:
                sections.append((s, {str(k): as_text(v) for k, v in o[s].items()}))
        found[(o["kind"], meta(o).get("namespace"), meta(o).get("name"))] = sections
    return found


def used(w, objs):
    """The objects a workload uses: (kind, name, namespace) -> keys or None."""
    ns = meta(w).get("namespace")
    got = {}
    for kind, name, rns, keys in refs(w):
        k = (kind, rns or ns, name)
        if k not in objs:
            continue
        if k in got and (got[k] is None or keys is None):
            got[k] = None
        elif k in got:
            got[k] = got[k] | keys
        else:
            got[k] = None if keys is None else set(keys)
    return got


def digest(w, objs):
    """README's layout: SHA-256 of KIND\\0NAME\\0, sections, \\0 per object."""
    u = used(w, objs)
    if not u:
        return None
    msg = b""
    for (kind, ns, name) in sorted(u, key=lambda k: (k[0], k[2], k[1] or "")):
        keys = u[(kind, ns, name)]
        msg += kind.encode() + b"\0" + name.encode() + b"\0"
        for section, kv in objs[(kind, ns, name)]:
            msg += section.encode() + b"\0"
            for k in sorted(kv, key=lambda s: s.encode()):
                if keys is not None and k not in keys:
                    continue
                msg += k.encode() + b"\0" + kv[k].encode() + b"\0"
        msg += b"\0"
    return hashlib.sha256(msg).hexdigest()


def wid(w):
    return (w.get("kind"), meta(w).get("namespace"), meta(w).get("name"))


def compare(docs):
    """Each workload's annotation against the oracle: (digests, problems)."""
    objs = objects(docs)
    digests, bad = {}, []
    for w in filter(is_workload, docs):
        want = digest(w, objs)
        tmpl = ((w.get("spec") or {}).get("template") or {})
        got = (meta(tmpl).get("annotations") or {}).get(KEY)
        digests[wid(w)] = want
        if got != want:
            bad.append(f"{wid(w)}: {KEY} {got!r}, oracle {want!r}")
    return digests, bad


def run(binary, cwd, *args):
    p = subprocess.run([binary, "--config-hash", "--kustomize", *args],
                       cwd=cwd, capture_output=True, text=True)
    return p.returncode, p.stderr.strip()


def text_files(root):
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if x != ".git"]
        for f in files:
            p = os.path.join(d, f)
            try:
                with open(p, encoding="utf-8") as fh:
                    yield p, fh.read()
            except (UnicodeDecodeError, OSError):
                continue


def write(path, text):
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def change_source(root, key, value):
    """Changes `key: value` (or `key=value`, or a file `key` holding
    `value`) at its source and writes it; returns the file changed and its
    old text, or None where no source was found."""
    found = find_source(root, key, value)
    if found:
        path, old, new = found
        write(path, new)
        return path, old
    return None


def find_source(root, key, value):
    """The file holding `key: value` (or `key=value`, or a file `key`
    holding `value`), its text, and its text with the value changed."""
    v = value
    one_line = "\n" not in v.strip("\n")
    pats = []
    if one_line and v:
        ev = re.escape(v)
        pats = [
            re.compile(rf"^(\s*-?\s*{re.escape(key)}\s*=\s*){ev}\s*$", re.M),
            re.compile(rf"^(\s*-?\s*[\"']?{re.escape(key)}[\"']?\s*:\s*[\"']?){ev}([\"']?\s*(#.*)?)$", re.M),
        ]
    for p, text in text_files(root):
        if p.endswith("reload-stamp-patch.yaml"):
            continue
        for pat in pats:
            m = pat.search(text)
            if m:
                new = text[:m.end(1)] + v + "-changed" + text[m.end(1) + len(v):]
                return p, text, new
        if os.path.basename(p) == key and text == value:
            return p, text, text + "changed\n"
        if not one_line:
            m = re.search(rf"^(\s*{re.escape(key)}:\s*[|>][-+0-9]*\s*\n)(\s+)", text, re.M)
            if m and v.split("\n")[0] and v.split("\n")[0] in text[m.end():m.end() + len(v) + 200]:
                new = text[:m.end(1)] + m.group(2) + "changed-by-test\n" + text[m.end(1):]
                return p, text, new
    return None


def candidates(docs):
    """(workload id, key, value) a workload uses, first the simplest."""
    objs = objects(docs)
    out = []
    for w in filter(is_workload, docs):
        for (kind, ns, name), keys in used(w, objs).items():
            for section, kv in objs[(kind, ns, name)]:
                if section != "data" and kind == "Secret":
                    continue
                for k, v in kv.items():
                    if keys is None or k in keys:
                        out.append((wid(w), k, v))
    out.sort(key=lambda c: ("\n" in c[2], len(c[2])))
    return out


def unused(docs):
    """(key, value) of a data entry no workload uses."""
    objs = objects(docs)
    use = {}
    for w in filter(is_workload, docs):
        for k, keys in used(w, objs).items():
            use[k] = None if (k in use and use[k] is None) or keys is None else (use.get(k) or set()) | keys
    for k, sections in objs.items():
        if k in use and use[k] is None:
            continue
        for section, kv in sections:
            for key, v in kv.items():
                if k[0] == "ConfigMap" and (k not in use or key not in use[k]) and v and "\n" not in v:
                    yield key, v


def entry_points(corpus):
    for project in sorted(os.listdir(corpus)):
        proot = os.path.join(corpus, project)
        if not os.path.isdir(proot):
            continue
        for d, dirs, files in os.walk(proot):
            dirs[:] = sorted(x for x in dirs if not x.startswith("."))
            k = next((f for f in KUSTOMIZATION if f in files), None)
            if not k:
                continue
            with open(os.path.join(d, k), encoding="utf-8") as fh:
                try:
                    kz = yaml.safe_load(fh) or {}
                except yaml.YAMLError:
                    continue
            if isinstance(kz, dict) and kz.get("kind") == "Component":
                continue
            yield project, os.path.relpath(d, proot)


def check_entry(binary, corpus, project, rel):
    """'' when every step passes, None when the entry does not build,
    else what failed; and notes."""
    work = tempfile.mkdtemp(prefix="rs-kcorpus-")
    notes = []
    try:
        root = os.path.join(work, project)
        shutil.copytree(os.path.join(corpus, project), root, symlinks=True)
        for d, _, files in os.walk(root):
            os.chmod(d, 0o755)
            for f in files:
                p = os.path.join(d, f)
                if not os.path.islink(p):
                    os.chmod(p, 0o644)
        entry = os.path.join(root, rel)
        rc, err = run(binary, root, "--write", rel)
        if rc != 0 and build(os.path.join(corpus, project, rel))[0] is None:
            return None, notes
        if rc != 0:
            return f"--write exit {rc}: {err[-600:]}", notes
        docs, err = build(entry)
        if docs is None:
            return f"kubectl kustomize after --write failed: {err[-600:]}", notes
        before, bad = compare(docs)
        if bad:
            return "after --write: " + "; ".join(bad[:3]), notes
        notes.append(f"{sum(1 for v in before.values() if v)} stamped")
        rc, err = run(binary, root, "--check", rel)
        if rc != 0:
            return f"--check after --write exit {rc}: {err[-400:]}", notes
        # A used value changed at its source.
        changed = False
        for w, key, value in candidates(docs)[:8]:
            c = change_source(root, key, value)
            if not c:
                continue
            path, old = c
            rc, err = run(binary, root, "--check", rel)
            if rc != 1:
                # A wrong source (the build did not change) is no failure.
                docs2, _ = build(entry)
                now = compare(docs2)[0] if docs2 is not None else {}
                if docs2 is None or now.get(w) == before.get(w):
                    write(path, old)
                    continue
                return f"--check after changing {key} in {os.path.relpath(path, root)}: exit {rc}, not 1", notes
            rc, err = run(binary, root, "--write", rel)
            if rc != 0:
                return f"--write after a change exit {rc}: {err[-400:]}", notes
            docs, _ = build(entry)
            after, bad = compare(docs)
            if bad:
                return "after the change: " + "; ".join(bad[:3]), notes
            if after.get(w) == before.get(w):
                return f"{w}: digest did not move with {key}", notes
            changed = True
            before = after
            notes.append(f"used {key} changed")
            break
        if not changed:
            notes.append("no used value to change" if not candidates(docs) else "used value's source not found")
        # A value no workload uses.
        done = False
        for key, value in list(unused(docs))[:8]:
            c = change_source(root, key, value)
            if not c:
                continue
            path, old = c
            # A generated object's name suffix moves with any of its data,
            # and the name is in the digest: the oracle says what to expect.
            docs3, _ = build(entry)
            want = 0 if docs3 is not None and compare(docs3)[0] == before else 1
            rc, err = run(binary, root, "--check", rel)
            if rc != want:
                return f"--check after changing unused {key}: exit {rc}, not {want}: {err[-400:]}", notes
            done = True
            notes.append(f"unused {key} changed" + ("" if want == 0 else ", name suffix moved"))
            break
        if not done:
            for w in filter(is_workload, docs):
                for c in (((w.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []:
                    img = c.get("image")
                    if not img or done:
                        continue
                    for path, text in text_files(root):
                        if f"image: {img}" in text and not path.endswith("reload-stamp-patch.yaml"):
                            write(path, text.replace(f"image: {img}", f"image: {img}-changed", 1))
                            rc, err = run(binary, root, "--check", rel)
                            if rc != 0:
                                return f"--check after changing an image: exit {rc}: {err[-400:]}", notes
                            done = True
                            notes.append("image changed")
                            break
        if not done:
            notes.append("nothing unused to change")
        return "", notes
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binary, corpus = os.path.abspath(sys.argv[1]), sys.argv[2]
    if shutil.which("kubectl") is None:
        if os.environ.get("CI"):
            sys.exit("kubectl is needed in CI")
        print("kubectl not found: skipped")
        return
    passed = failed = skipped = 0
    entries = list(entry_points(corpus))
    jobs = int(os.environ.get("JOBS", os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        results = pool.map(lambda e: check_entry(binary, corpus, *e), entries)
        for (project, rel), (why, notes) in zip(entries, results):
            name = f"{project}/{rel}"
            if why is None:
                skipped += 1
                print(f"skip {name}: does not build")
            elif why:
                failed += 1
                print(f"FAIL {name}: {why}")
            else:
                passed += 1
                print(f"ok   {name} ({', '.join(notes)})")
            sys.stdout.flush()
    print(f"{passed} passed, {failed} failed ({skipped} entry points that do not build skipped)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

//! One row per rule. R = stakater/Reloader@655a2b3, W = wave-k8s/wave@b4e8d70;
//! each row cites where its expected restart set comes from.
use super::*;

const MOUNTED: Via = Via::Volume {
    projected: false,
    mounted: true,
};
const UNMOUNTED: Via = Via::Volume {
    projected: false,
    mounted: false,
};
const PROJECTED: Via = Via::Volume {
    projected: true,
    mounted: true,
};
const ENV: Via = Via::Env(Containers::Main);
const INIT: Via = Via::Env(Containers::Init);
const EPHEMERAL: Via = Via::Env(Containers::Ephemeral);

fn r(kind: &'static str, name: &str, via: Via, keys: &[&str]) -> ConfigRef {
    ConfigRef {
        kind,
        name: name.to_string(),
        namespace: None,
        keys: (!keys.is_empty()).then(|| keys.iter().map(|k| k.to_string()).collect()),
        optional: false,
        pos: 0,
        via,
    }
}

fn cm(name: &str, via: Via) -> ConfigRef {
    r("ConfigMap", name, via, &[])
}

fn secret(name: &str, via: Via) -> ConfigRef {
    r("Secret", name, via, &[])
}

/// `ConfigMap/a`, `Secret/ns/b`, `ConfigMap/a[k]` (the keys used).
fn show(s: &ConfigRef) -> String {
    let ns = s
        .namespace
        .as_ref()
        .map_or(String::new(), |n| format!("{n}/"));
    let keys = s
        .keys
        .as_ref()
        .map_or(String::new(), |k| format!("[{}]", k.join(",")));
    format!("{}/{ns}{}{keys}", s.kind, s.name)
}

/// The run's objects: ConfigMaps a, b, app-config-1, app-config-2,
/// other, Secrets s, t; `flags` marks some ignored ('i') or matched ('m').
fn candidates(flags: &[(&str, char)]) -> Vec<Candidate<'static>> {
    let cms = ["a", "b", "app-config-1", "app-config-2", "other"];
    let all = cms
        .iter()
        .map(|n| ("ConfigMap", *n))
        .chain([("Secret", "s"), ("Secret", "t")]);
    all.map(|(kind, name)| Candidate {
        kind,
        name,
        namespace: None,
        ignored: flags.contains(&(name, 'i')),
        matched: flags.contains(&(name, 'm')),
    })
    .collect()
}

struct Row {
    what: &'static str,
    rules: Rules,
    annotations: &'static [(&'static str, &'static str)],
    pod: &'static [(&'static str, &'static str)],
    refs: Vec<ConfigRef>,
    flags: &'static [(&'static str, char)],
    opted_in: bool,
    /// The restart set the tool would have.
    want: &'static [&'static str],
}

const RELOADER: Rules = Rules::Reloader {
    auto_reload_all: false,
};
const RELOADER_ALL: Rules = Rules::Reloader {
    auto_reload_all: true,
};

fn rows() -> Vec<Row> {
    let ab = || vec![cm("a", ENV), cm("b", ENV)];
    vec![
        // R pkg/common/common.go ShouldReload l. 317: no rule, no reload.
        Row {
            what: "reloader: no annotation",
            rules: RELOADER,
            annotations: &[],
            pod: &[],
            refs: ab(),
            flags: &[],
            opted_in: false,
            want: &[],
        },
        // R ShouldReload l. 307-315 (auto) + handler/upgrade.go
        // getContainerUsingResource: every referenced object, both types.
        Row {
            what: "reloader: auto",
            rules: RELOADER,
            annotations: &[(RELOADER_AUTO, "true")],
            pod: &[],
            refs: vec![cm("a", ENV), secret("s", MOUNTED)],
            flags: &[],
            opted_in: true,
            want: &["ConfigMap/a", "Secret/s"],
        },
        // R upgrade.go getVolumeMountName + getContainerWithVolumeMount:
        // a volume nothing mounts is no reference.
        Row {
            what: "reloader: auto, unmounted volume",
            rules: RELOADER,
            annotations: &[(RELOADER_AUTO, "true")],
            pod: &[],
            refs: vec![cm("b", UNMOUNTED)],
            flags: &[],
            opted_in: true,
            want: &[],
        },
        // R upgrade.go getContainerWithEnvReference: containers and
        // initContainers only, never ephemeral ones.
        Row {
            what: "reloader: auto, init and ephemeral containers",
            rules: RELOADER,
            annotations: &[(RELOADER_AUTO, "true")],
            pod: &[],
            refs: vec![cm("a", INIT), cm("b", EPHEMERAL)],
            flags: &[],
            opted_in: true,
            want: &["ConfigMap/a"],
        },
        // R ShouldReload l. 307-309: the typed auto is for its type only.
        Row {
            what: "reloader: configmap auto",
            rules: RELOADER,
            annotations: &[("configmap.reloader.stakater.com/auto", "true")],
            pod: &[],
            refs: vec![cm("a", ENV), secret("s", ENV)],
            flags: &[],
            opted_in: true,
            want: &["ConfigMap/a"],
        },
        Row {
            what: "reloader: secret auto",
            rules: RELOADER,
            annotations: &[("secret.reloader.stakater.com/auto", "true")],
            pod: &[],
            refs: vec![cm("a", ENV), secret("s", PROJECTED)],
            flags: &[],
            opted_in: true,
            want: &["Secret/s"],
        },
        // R ShouldReload l. 309: `auto || typedAuto`: a typed "true"
        // wins over auto "false" for its type.
        Row {
            what: "reloader: auto false, configmap auto true",
            rules: RELOADER,
            annotations: &[
                (RELOADER_AUTO, "false"),
                ("configmap.reloader.stakater.com/auto", "true"),
            ],
            pod: &[],
            refs: vec![cm("a", ENV), secret("s", ENV)],
            flags: &[],
            opted_in: true,
            want: &["ConfigMap/a"],
        },
        // R ShouldReload l. 307: ParseBool("yes") fails: not on.
        Row {
            what: "reloader: auto yes",
            rules: RELOADER,
            annotations: &[(RELOADER_AUTO, "yes")],
            pod: &[],
            refs: ab(),
            flags: &[],
            opted_in: false,
            want: &[],
        },
        // R ShouldReload l. 278-294 + getContainerUsingResource l. 503-510:
        // a named list needs no reference, and is all that counts.
        Row {
            what: "reloader: named list",
            rules: RELOADER,
            annotations: &[("configmap.reloader.stakater.com/reload", "a,b")],
            pod: &[],
            refs: vec![cm("other", ENV)],
            flags: &[],
            opted_in: true,
            want: &["ConfigMap/a", "ConfigMap/b"],
        },
        // R ShouldReload l. 278-294: the secret list names Secrets only;
        // a referenced ConfigMap does not count.
        Row {
            what: "reloader: secret list is restrictive",
            rules: RELOADER,
            annotations: &[("secret.reloader.stakater.com/reload", "s")],
            pod: &[],
            refs: vec![cm("a", ENV)],
            flags: &[],
            opted_in: true,
            want: &["Secret/s"],
        },
        // R ShouldReload l. 282: regexp.Compile("^" + value + "$").
        Row {
            what: "reloader: named regex",
            rules: RELOADER,
            annotations: &[("configmap.reloader.stakater.com/reload", "app-config-.*")],
            pod: &[],
            refs: vec![],
            flags: &[],
            opted_in: true,
            want: &["ConfigMap/app-config-1", "ConfigMap/app-config-2"],
        },
        // Anchored: `app` is not `app-config-1`; a plain name that is not
        // among the inputs stays, to be warned about as missing.
        Row {
            what: "reloader: named list is anchored",
            rules: RELOADER,
            annotations: &[("configmap.reloader.stakater.com/reload", "app")],
            pod: &[],
            refs: vec![],
            flags: &[],
            opted_in: true,
            want: &["ConfigMap/app"],
        },
        // "^a|b$" as Go reads it: "^a" or "b$".
        Row {
            what: "reloader: alternation anchored on one side each",
            rules: RELOADER,
            annotations: &[("configmap.reloader.stakater.com/reload", "a|b")],
            pod: &[],
            refs: vec![],
            flags: &[],
            opted_in: true,
            want: &[
                "ConfigMap/a",
                "ConfigMap/app-config-1",
                "ConfigMap/app-config-2",
                "ConfigMap/b",
            ],
        },
        // R ShouldReload l. 284-285: an entry that does not compile is
        // skipped (a note says so); the others still count.
        Row {
            what: "reloader: invalid regex skipped",
            rules: RELOADER,
            annotations: &[("configmap.reloader.stakater.com/reload", "a(, b")],
            pod: &[],
            refs: vec![],
            flags: &[],
            opted_in: true,
            want: &["ConfigMap/b"],
        },
        // R ShouldReload l. 296-305: search + match, referenced only.
        Row {
            what: "reloader: search and match",
            rules: RELOADER,
            annotations: &[(SEARCH, "true")],
            pod: &[],
            refs: vec![cm("a", ENV), cm("b", ENV)],
            flags: &[("a", 'm'), ("other", 'm')],
            opted_in: true,
            want: &["ConfigMap/a"],
        },
        // R ShouldReload l. 254-276, checkIfResourceIsExcluded: literal
        // names, trimmed, before every other rule.
        Row {
            what: "reloader: exclude list",
            rules: RELOADER,
            annotations: &[
                (RELOADER_AUTO, "true"),
                ("configmaps.exclude.reloader.stakater.com/reload", "b"),
            ],
            pod: &[],
            refs: ab(),
            flags: &[],
            opted_in: true,
            want: &["ConfigMap/a"],
        },
        Row {
            what: "reloader: exclude beats a named list",
            rules: RELOADER,
            annotations: &[
                ("configmap.reloader.stakater.com/reload", "a,b"),
                ("configmaps.exclude.reloader.stakater.com/reload", " b "),
            ],
            pod: &[],
            refs: vec![],
            flags: &[],
            opted_in: true,
            want: &["ConfigMap/a"],
        },
        Row {
            what: "reloader: exclude is literal",
            rules: RELOADER,
            annotations: &[
                (RELOADER_AUTO, "true"),
                (
                    "configmaps.exclude.reloader.stakater.com/reload",
                    "app-config-.*",
                ),
            ],
            pod: &[],
            refs: vec![cm("app-config-1", ENV)],
            flags: &[],
            opted_in: true,
            want: &["ConfigMap/app-config-1"],
        },
        Row {
            what: "reloader: secrets exclude list",
            rules: RELOADER,
            annotations: &[
                (RELOADER_AUTO, "true"),
                ("secrets.exclude.reloader.stakater.com/reload", "s"),
            ],
            pod: &[],
            refs: vec![secret("s", ENV), secret("t", ENV)],
            flags: &[],
            opted_in: true,
            want: &["Secret/t"],
        },
        // R ShouldReload l. 242-244: exclude lists are read from the
        // workload only, never from the pod template.
        Row {
            what: "reloader: exclude not read from the pod template",
            rules: RELOADER,
            annotations: &[(RELOADER_AUTO, "true")],
            pod: &[("configmaps.exclude.reloader.stakater.com/reload", "b")],
            refs: ab(),
            flags: &[],
            opted_in: true,
            want: &["ConfigMap/a", "ConfigMap/b"],
        },
        // R ShouldReload l. 231-236: ignore on the object, first of all.
        Row {
            what: "reloader: ignore",
            rules: RELOADER,
            annotations: &[(RELOADER_AUTO, "true")],
            pod: &[],
            refs: ab(),
            flags: &[("b", 'i')],
            opted_in: true,
            want: &["ConfigMap/a"],
        },
        Row {
            what: "reloader: ignore beats a named list",
            rules: RELOADER,
            annotations: &[("configmap.reloader.stakater.com/reload", "a")],
            pod: &[],
            refs: vec![],
            flags: &[("a", 'i')],
            opted_in: true,
            want: &[],
        },
        // R ShouldReload l. 246-252: the pod template's annotations
        // when the workload has none of the type's keys.
        Row {
            what: "reloader: pod-template fallback",
            rules: RELOADER,
            annotations: &[],
            pod: &[(RELOADER_AUTO, "true")],
            refs: vec![cm("a", ENV)],
            flags: &[],
            opted_in: true,
            want: &["ConfigMap/a"],
        },
        Row {
            what: "reloader: fallback is per type",
            rules: RELOADER,
            annotations: &[("secret.reloader.stakater.com/reload", "s")],
            pod: &[("configmap.reloader.stakater.com/reload", "a")],
            refs: vec![],
            flags: &[],
            opted_in: true,
            want: &["ConfigMap/a", "Secret/s"],
        },
        Row {
            what: "reloader: no fallback when the workload has auto",
            rules: RELOADER,
            annotations: &[(RELOADER_AUTO, "true")],
            pod: &[("configmap.reloader.stakater.com/reload", "other")],
            refs: vec![cm("a", ENV)],
            flags: &[],
            opted_in: true,
            want: &["ConfigMap/a"],
        },
        // R ShouldReload l. 309: --auto-reload-all, unless auto is set.
        Row {
            what: "reloader: auto-reload-all",
            rules: RELOADER_ALL,
            annotations: &[],
            pod: &[],
            refs: vec![cm("a", ENV)],
            flags: &[],
            opted_in: true,
            want: &["ConfigMap/a"],
        },
        Row {
            what: "reloader: auto-reload-all, auto false",
            rules: RELOADER_ALL,
            annotations: &[(RELOADER_AUTO, "false")],
            pod: &[],
            refs: vec![cm("a", ENV)],
            flags: &[],
            opted_in: false,
            want: &[],
        },
        // R ShouldReload: auto "false" turns off auto only; the named
        // list (l. 278-294) is checked before it.
        Row {
            what: "reloader: auto false with a named list",
            rules: RELOADER,
            annotations: &[
                (RELOADER_AUTO, "false"),
                ("configmap.reloader.stakater.com/reload", "b"),
            ],
            pod: &[],
            refs: vec![cm("a", ENV)],
            flags: &[],
            opted_in: true,
            want: &["ConfigMap/b"],
        },
        // reload-stamp's own opt-out holds under any rules.
        Row {
            what: "reloader: reload-stamp/skip",
            rules: RELOADER,
            annotations: &[(SKIP, "true"), (RELOADER_AUTO, "true")],
            pod: &[],
            refs: ab(),
            flags: &[],
            opted_in: false,
            want: &[],
        },
        // W pkg/core/required_annotation.go hasRequiredAnnotation.
        Row {
            what: "wave: no annotation",
            rules: Rules::Wave,
            annotations: &[],
            pod: &[(WAVE_REQUIRED, "true")],
            refs: ab(),
            flags: &[],
            opted_in: false,
            want: &[],
        },
        Row {
            what: "wave: True is not true",
            rules: Rules::Wave,
            annotations: &[(WAVE_REQUIRED, "True")],
            pod: &[],
            refs: ab(),
            flags: &[],
            opted_in: false,
            want: &[],
        },
        Row {
            what: "wave: false",
            rules: Rules::Wave,
            annotations: &[(WAVE_REQUIRED, "false")],
            pod: &[],
            refs: ab(),
            flags: &[],
            opted_in: false,
            want: &[],
        },
        // W pkg/core/children.go getChildNamesByType l. 107-141, 167-198:
        // a plain volume counts whole even with items (l. 108-113), a
        // projected one its items, an env keyRef its key, envFrom all;
        // an unmounted volume counts; init and ephemeral containers not.
        Row {
            what: "wave: references",
            rules: Rules::Wave,
            annotations: &[(WAVE_REQUIRED, "true")],
            pod: &[],
            refs: vec![
                r("ConfigMap", "a", ENV, &["k"]),
                r("Secret", "s", UNMOUNTED, &["x"]),
                r("ConfigMap", "b", PROJECTED, &["y"]),
                cm("other", INIT),
                secret("t", EPHEMERAL),
            ],
            flags: &[],
            opted_in: true,
            want: &["ConfigMap/a[k]", "ConfigMap/b[y]", "Secret/s"],
        },
        // W children.go l. 143-164: extra-configmaps/-secrets, `ns/name`
        // or `name`, split on ',' and '/' without trimming; more than
        // two parts are dropped.
        Row {
            what: "wave: extra-configmaps and extra-secrets",
            rules: Rules::Wave,
            annotations: &[
                (WAVE_REQUIRED, "true"),
                (WAVE_EXTRA_CONFIGMAPS, "ns/a,b"),
                (WAVE_EXTRA_SECRETS, "s, t,x/y/z"),
            ],
            pod: &[],
            refs: vec![],
            flags: &[],
            opted_in: true,
            want: &["ConfigMap/ns/a", "ConfigMap/b", "Secret/s", "Secret/ t"],
        },
        // wave knows no ignore annotation (W pkg/core/hash.go hashes
        // every child found).
        Row {
            what: "wave: reloader's ignore means nothing",
            rules: Rules::Wave,
            annotations: &[(WAVE_REQUIRED, "true")],
            pod: &[],
            refs: vec![cm("a", ENV)],
            flags: &[("a", 'i')],
            opted_in: true,
            want: &["ConfigMap/a"],
        },
        // W reads the workload's annotations only: Reloader's mean nothing.
        Row {
            what: "wave: reloader's named list means nothing",
            rules: Rules::Wave,
            annotations: &[
                (WAVE_REQUIRED, "true"),
                ("configmap.reloader.stakater.com/reload", "b"),
            ],
            pod: &[],
            refs: vec![cm("a", ENV)],
            flags: &[],
            opted_in: true,
            want: &["ConfigMap/a"],
        },
    ]
}

#[test]
fn restart_sets_are_the_tools() {
    for row in rows() {
        let cands = candidates(row.flags);
        let w = Workload {
            annotations: &row.annotations,
            pod_annotations: &row.pod,
            namespace: None,
            refs: &row.refs,
        };
        let d = decide(row.rules, &w, &cands);
        let mut got: Vec<String> = d.sources.iter().map(show).collect();
        got.sort();
        let mut want: Vec<String> = row.want.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(got, want, "{}", row.what);
        assert_eq!(d.opted_in, row.opted_in, "{}", row.what);
        assert_eq!(d.honour_ignore, row.rules != Rules::Wave, "{}", row.what);
    }
}

#[test]
fn notes_say_what_matched_nothing_or_did_not_compile() {
    let ann: &[(&str, &str)] = &[("configmap.reloader.stakater.com/reload", "a(,zz-.*,missing")];
    let none: &[(&str, &str)] = &[];
    let w = Workload {
        annotations: &ann,
        pod_annotations: &none,
        namespace: None,
        refs: &[],
    };
    let d = decide(RELOADER, &w, &candidates(&[]));
    let notes: Vec<&str> = d.notes.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes[0].contains("'a(' is not a valid regular expression"),
        "{notes:?}"
    );
    assert!(
        notes[1].contains("'zz-.*' matches no ConfigMap"),
        "{notes:?}"
    );
    // The plain name is a reference, to be warned about as missing.
    assert_eq!(
        d.sources.iter().map(show).collect::<Vec<_>>(),
        ["ConfigMap/missing"]
    );
}

#[test]
fn namespaces_are_the_workloads() {
    // R lists workloads in the changed object's namespace only
    // (handler/upgrade.go PerformAction, ItemsFunc(config.Namespace)).
    let cands = [Candidate {
        kind: "ConfigMap",
        name: "app-config-1",
        namespace: Some("prod"),
        ignored: false,
        matched: false,
    }];
    let ann: &[(&str, &str)] = &[("configmap.reloader.stakater.com/reload", "app-config-.*")];
    let pod: &[(&str, &str)] = &[];
    for (ns, want) in [(Some("prod"), 1), (Some("dev"), 0), (None, 0)] {
        let w = Workload {
            annotations: &ann,
            pod_annotations: &pod,
            namespace: ns,
            refs: &[],
        };
        assert_eq!(decide(RELOADER, &w, &cands).sources.len(), want, "{ns:?}");
    }
}

#[test]
fn opt_outs() {
    type A = &'static [(&'static str, &'static str)];
    type Want = Result<Option<OptOut>, ()>;
    let rows: &[(A, A, bool, Want)] = &[
        (&[], &[], false, Ok(None)),
        (&[(SKIP, "true")], &[], false, Ok(Some(OptOut::Native))),
        (&[(SKIP, "true")], &[], true, Ok(Some(OptOut::Native))),
        (&[(SKIP, "false")], &[], false, Ok(None)),
        (&[(SKIP, "yes")], &[], false, Err(())),
        // Go's ParseBool false values (R pkg/common/common.go l. 307).
        (
            &[(RELOADER_AUTO, "false")],
            &[],
            false,
            Ok(Some(OptOut::Reloader)),
        ),
        (
            &[(RELOADER_AUTO, "0")],
            &[],
            false,
            Ok(Some(OptOut::Reloader)),
        ),
        (&[(RELOADER_AUTO, "no")], &[], false, Ok(None)),
        (&[(RELOADER_AUTO, "true")], &[], false, Ok(None)),
        // The pod template's, as Reloader's fallback reads it
        // (ShouldReload l. 246-252), unless the workload has its own.
        (
            &[],
            &[(RELOADER_AUTO, "false")],
            false,
            Ok(Some(OptOut::Reloader)),
        ),
        (
            &[(RELOADER_AUTO, "true")],
            &[(RELOADER_AUTO, "false")],
            false,
            Ok(None),
        ),
        // Under Reloader's rules, auto "false" is theirs to read.
        (&[(RELOADER_AUTO, "false")], &[], true, Ok(None)),
        // W required_annotation.go: anything but "true" is out; the
        // false values count as an opt-out everywhere.
        (
            &[(WAVE_REQUIRED, "false")],
            &[],
            false,
            Ok(Some(OptOut::Wave)),
        ),
        (
            &[(WAVE_REQUIRED, "False")],
            &[],
            true,
            Ok(Some(OptOut::Wave)),
        ),
        (&[(WAVE_REQUIRED, "true")], &[], false, Ok(None)),
        // wave reads the workload only.
        (&[], &[(WAVE_REQUIRED, "false")], false, Ok(None)),
    ];
    for (i, (own, pod, by_reloader, want)) in rows.iter().enumerate() {
        let got = opt_out(own, pod, *by_reloader).map_err(|_| ());
        assert_eq!(&got, want, "row {i}: {own:?} {pod:?}");
    }
    let (own, pod): (A, A) = (&[(SKIP, "yes")], &[]);
    let err = opt_out(&own, &pod, false).unwrap_err();
    assert!(err.1.contains("must be \"true\""), "{}", err.1);
}

/// How the config-hash code calls the module: references from
/// `refs_of`, candidates from `object_of`, annotations kept with
/// `annotation_map`, and the sources in place of the workload's refs.
#[test]
fn wiring_from_parsed_documents() {
    use crate::confighash::{object_of, refs_of};
    use crate::document::{parse_all, Mode};
    let text = "\
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config-1}
data: {a: '1'}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: flags, annotations: {reloader.stakater.com/match: 'true'}}
data: {b: '2'}
---
apiVersion: v1
kind: Secret
metadata: {name: token}
data: {t: dA==}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    configmap.reloader.stakater.com/reload: app-config-.*
    reloader.stakater.com/search: 'true'
spec:
  template:
    metadata:
      annotations: {ignored: 'x'}
    spec:
      volumes:
      - name: f
        configMap: {name: flags}
      - name: unused
        secret: {secretName: token}
      containers:
      - name: web
        volumeMounts: [{name: f, mountPath: /f}]
";
    let docs = parse_all(text, Mode::Full).expect("parses");
    let roots: Vec<&Node<'_>> = docs.iter().filter_map(|d| d.root.as_ref()).collect();
    let objects: Vec<ConfigObject> = roots
        .iter()
        .filter_map(|r| object_of(r).expect("valid"))
        .collect();
    let candidates: Vec<Candidate<'_>> = objects.iter().map(Candidate::from).collect();
    let web = roots[3];
    fn get<'n, 'a>(n: &'n Node<'a>, path: &[&str]) -> Option<&'n Node<'a>> {
        let mut cur = Some(n);
        for p in path {
            cur = cur.and_then(|c| c.get(p)).map(|(_, v)| v);
        }
        cur
    }
    let own = annotation_map(get(web, &["metadata", "annotations"]));
    let pod = annotation_map(get(web, &["spec", "template", "metadata", "annotations"]));
    assert_eq!(pod.get("ignored").map(String::as_str), Some("x"));
    let refs = refs_of(get(web, &["spec", "template", "spec"]).expect("pod spec"));
    let w = Workload {
        annotations: &own,
        pod_annotations: &pod,
        namespace: None,
        refs: &refs,
    };
    let d = decide(RELOADER, &w, &candidates);
    // The named regex finds app-config-1 unreferenced; search + match
    // finds flags through its mounted volume; the Secret's volume is
    // mounted by nothing, and no rule names it anyway.
    let got: Vec<String> = d.sources.iter().map(show).collect();
    assert_eq!(got, ["ConfigMap/app-config-1", "ConfigMap/flags"]);
    assert!(d.opted_in && d.notes.is_empty(), "{d:?}");
}

#[test]
fn go_parse_bool() {
    for s in ["1", "t", "T", "TRUE", "true", "True"] {
        assert_eq!(parse_bool(s), Some(true), "{s}");
    }
    for s in ["0", "f", "F", "FALSE", "false", "False"] {
        assert_eq!(parse_bool(s), Some(false), "{s}");
    }
    for s in ["", "yes", "tRUE", " true"] {
        assert_eq!(parse_bool(s), None, "{s}");
    }
}

//! The references a workload makes: from its pod spec (volumes, projected
//! volumes, CSI volumes of the Secrets Store driver, `envFrom`,
//! `env[].valueFrom`, with the keys they use) and from Reloader's and
//! wave's workload annotations.

use super::*;

/// Pushes the reference `holder.<name_key>` of `kind`, if it names
/// something; `keys` are the keys it uses, `None` for all.
fn push_ref(
    out: &mut Vec<ConfigRef>,
    holder: Option<&Node<'_>>,
    kind: &'static str,
    name_key: &str,
    keys: Option<Vec<String>>,
    via: Via,
) {
    let Some(h) = holder else { return };
    let Some(name_node) = child(h, name_key) else {
        return;
    };
    let Some(name) = name_node.as_str().filter(|s| !s.is_empty()) else {
        return;
    };
    out.push(ConfigRef {
        kind,
        name: name.to_string(),
        namespace: None,
        keys,
        optional: is_true(child(h, "optional")),
        pos: name_node.start,
        via,
    });
}

/// The keys a volume source projects (`items[].key`), `None` for all.
fn item_keys(source: Option<&Node<'_>>) -> Option<Vec<String>> {
    let items = seq(source.and_then(|s| child(s, "items")));
    if items.is_empty() {
        return None;
    }
    Some(
        items
            .iter()
            .filter_map(|i| i.get_str("key").map(str::to_string))
            .collect(),
    )
}

/// The key a `configMapKeyRef`/`secretKeyRef` uses.
fn one_key(r: Option<&Node<'_>>) -> Option<Vec<String>> {
    r.and_then(|r| r.get_str("key"))
        .map(|k| vec![k.to_string()])
}

/// The container lists of a pod spec, in the order their references are
/// reported; the first two are those whose mounts count ([`is_mounted`]).
const CONTAINER_LISTS: [(&str, Containers); 3] = [
    ("initContainers", Containers::Init),
    ("containers", Containers::Main),
    ("ephemeralContainers", Containers::Ephemeral),
];

/// Every ConfigMap/Secret reference of a pod spec, in source order.
pub fn refs_of(pod_spec: &Node<'_>) -> Vec<ConfigRef> {
    let mut out = Vec::new();
    volume_refs(pod_spec, &mut out);
    for (list, which) in CONTAINER_LISTS {
        for c in seq(child(pod_spec, list)) {
            container_refs(c, Via::Env(which), &mut out);
        }
    }
    out
}

/// Whether a container or an init container mounts volume `volume`:
/// Reloader counts a volume only then (handler/upgrade.go,
/// getContainerUsingResource).
fn is_mounted(pod_spec: &Node<'_>, volume: Option<&str>) -> bool {
    volume.is_some_and(|v| {
        CONTAINER_LISTS[..2].iter().any(|(list, _)| {
            seq(child(pod_spec, list)).iter().any(|c| {
                seq(child(c, "volumeMounts"))
                    .iter()
                    .any(|m| m.get_str("name") == Some(v))
            })
        })
    })
}

/// The driver name of the Secrets Store CSI driver
/// (secrets-store-csi-driver cmd/secrets-store-csi-driver/main.go,
/// `drivername`'s default).
const SECRETS_STORE_DRIVER: &str = "secrets-store.csi.k8s.io";

/// The `volumeAttributes` of a CSI volume of the Secrets Store CSI driver,
/// which name its SecretProviderClass (`secretProviderClass`,
/// pkg/secrets-store/nodeserver.go); other CSI drivers reference nothing.
fn secrets_store<'n, 'a>(vol: &'n Node<'a>) -> Option<&'n Node<'a>> {
    let csi = child(vol, "csi")?;
    (csi.get_str("driver") == Some(SECRETS_STORE_DRIVER))
        .then(|| child(csi, "volumeAttributes"))
        .flatten()
}

/// Pushes the references of the pod spec's volumes: `configMap`, `secret`,
/// the sources of `projected`, and a Secrets Store CSI volume's
/// SecretProviderClass.
fn volume_refs(pod_spec: &Node<'_>, out: &mut Vec<ConfigRef>) {
    for vol in seq(child(pod_spec, "volumes")) {
        let (cm, secret) = (child(vol, "configMap"), child(vol, "secret"));
        let (projected, spc) = (child(vol, "projected"), secrets_store(vol));
        if cm.is_none() && secret.is_none() && projected.is_none() && spc.is_none() {
            continue;
        }
        let mounted = is_mounted(pod_spec, vol.get_str("name"));
        let via = Via::Volume {
            projected: false,
            mounted,
        };
        push_ref(out, cm, "ConfigMap", "name", item_keys(cm), via);
        push_ref(out, secret, "Secret", "secretName", item_keys(secret), via);
        let spc_kind = "SecretProviderClass";
        push_ref(out, spc, spc_kind, "secretProviderClass", None, via);
        if let Some(p) = projected {
            let via = Via::Volume {
                projected: true,
                mounted,
            };
            for src in seq(child(p, "sources")) {
                let (cm, secret) = (child(src, "configMap"), child(src, "secret"));
                push_ref(out, cm, "ConfigMap", "name", item_keys(cm), via);
                push_ref(out, secret, "Secret", "name", item_keys(secret), via);
            }
        }
    }
}

/// Pushes the references of one container: its `envFrom`, then its
/// `env[].valueFrom` key references.
fn container_refs(c: &Node<'_>, via: Via, out: &mut Vec<ConfigRef>) {
    for ef in seq(child(c, "envFrom")) {
        let cm = child(ef, "configMapRef");
        push_ref(out, cm, "ConfigMap", "name", None, via);
        push_ref(out, child(ef, "secretRef"), "Secret", "name", None, via);
    }
    for env in seq(child(c, "env")) {
        let from = child(env, "valueFrom");
        let cm = from.and_then(|f| child(f, "configMapKeyRef"));
        let secret = from.and_then(|f| child(f, "secretKeyRef"));
        push_ref(out, cm, "ConfigMap", "name", one_key(cm), via);
        push_ref(out, secret, "Secret", "name", one_key(secret), via);
    }
}

/// Workload annotations of the runtime tools users migrate from, each
/// naming objects the app reads through the API: Reloader's take names in
/// the workload's namespace, wave's `namespace/name` or `name`.
const ANNOTATION_REFS: [(&str, &str, bool); 5] = [
    ("configmap.reloader.stakater.com/reload", "ConfigMap", false),
    ("secret.reloader.stakater.com/reload", "Secret", false),
    // Reloader@655a2b3814baadb69d3d1e105242d6cc8875d7cb
    // internal/pkg/options/flags.go, SecretProviderClassUpdateOnChangeAnnotation.
    (
        "secretproviderclass.reloader.stakater.com/reload",
        "SecretProviderClass",
        false,
    ),
    ("wave.pusher.com/extra-configmaps", "ConfigMap", true),
    ("wave.pusher.com/extra-secrets", "Secret", true),
];

/// The references a workload's own annotations add (Reloader's and wave's).
pub fn annotation_refs(workload_meta: Option<&Node<'_>>) -> Vec<ConfigRef> {
    let mut out = Vec::new();
    let Some(ann) = workload_meta.and_then(|m| child(m, "annotations")) else {
        return out;
    };
    for (key, kind, namespaced) in ANNOTATION_REFS {
        let Some(v) = child(ann, key) else { continue };
        let Some(list) = v.as_str() else { continue };
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (namespace, name) = match item.split_once('/') {
                Some((ns, name)) if namespaced => (Some(ns.to_string()), name),
                _ => (None, item),
            };
            out.push(ConfigRef {
                kind,
                name: name.to_string(),
                namespace,
                keys: None,
                optional: false,
                pos: v.start,
                via: Via::Annotation,
            });
        }
    }
    out
}

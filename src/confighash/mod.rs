//! Config-hash mode: the stamp is a digest of the ConfigMaps and Secrets a
//! pod template references, so pods restart exactly when their
//! configuration changed, and a second run changes nothing.
//!
//! References come from the pod spec (with the keys they use, where they
//! name keys) and from Reloader's and wave's workload annotations. A Secret
//! is also found as a SealedSecret, an ExternalSecret, a cert-manager
//! Certificate (the Secret of its `spec.secretName`) or a SOPS-encrypted
//! Secret. A CSI volume of the Secrets Store CSI driver
//! (`csi.driver: secrets-store.csi.k8s.io`) references the
//! SecretProviderClass named by its `volumeAttributes.secretProviderClass`,
//! in the workload's namespace. The digest is SHA-256 (or HMAC-SHA256 under a team's key),
//! lowercase hex, over this byte string: for each referenced object found,
//! sorted by kind, then name, then namespace:
//!
//! ```text
//! KIND NUL NAME NUL
//!   for each section that is present (data, binaryData, stringData;
//!   encryptedData, template.data, template; spec):
//!     SECTION NUL (KEY NUL VALUE NUL)* for its keys in byte order,
//!     only the keys used in the keyed sections
//!   NUL
//! ```
//!
//! Only data counts: labels, annotations and the namespace do not.
//!
//! KIND is `ConfigMap`, `Secret` or `SecretProviderClass`. The `spec`
//! section is an ExternalSecret's spec without `refreshInterval`, a
//! Certificate's without `renewBefore`, `renewBeforePercentage`,
//! `revisionHistoryLimit` and `secretTemplate` (when and how it is renewed,
//! and the Secret's labels, do not change what the Secret holds), or a
//! SecretProviderClass's whole spec; its entries are every scalar as
//! `PATH VALUE`, paths like `parameters.objects` or `dnsNames[0]`.
//! For example a Certificate `{secretName: web-tls, renewBefore: 360h,
//! dnsNames: [web.example.com], issuerRef: {name: letsencrypt, kind:
//! ClusterIssuer}}` that a pod's Secret volume `web-tls` uses gives
//!
//! ```text
//! $ printf 'Secret\0web-tls\0spec\0dnsNames[0]\0web.example.com\0issuerRef.kind\0ClusterIssuer\0issuerRef.name\0letsencrypt\0secretName\0web-tls\0\0' | sha256sum
//! 79e4f2190588c9bca1c6b3debff76c30dfb368de1bd90b9ab9bc0adc4141ea21  -
//! ```
//!
//! and a SecretProviderClass `web-vault` `{provider: vault, parameters:
//! {roleName: web}}` named by a CSI volume gives
//!
//! ```text
//! $ printf 'SecretProviderClass\0web-vault\0spec\0parameters.roleName\0web\0provider\0vault\0\0' | sha256sum
//! b6d2d5e62f1b39db4e4db92845195bf13e3c88e601422347dc5c0daed6c7453c  -
//! ```
//!
//! Field names, as the projects define them:
//! kubernetes-sigs/secrets-store-csi-driver@0aad886f70e94a6037325f4eaba4660338dde448:
//! apis/v1/secretproviderclass_types.go (kind SecretProviderClass, `spec`),
//! apis/v1/doc.go (group secrets-store.csi.x-k8s.io),
//! pkg/secrets-store/nodeserver.go (`secretProviderClass` volume
//! attribute), cmd/secrets-store-csi-driver/main.go (driver name);
//! cert-manager/cert-manager@2d0d7f7f74241a9cbf79f0e2a7bb247238ee09fd:
//! pkg/apis/certmanager/v1/types_certificate.go (`spec.secretName`, the
//! Secret in the Certificate's namespace), pkg/apis/certmanager/doc.go
//! (group cert-manager.io).

use std::collections::{BTreeSet, HashMap};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::document::{Kind, Node};
use crate::error::{Error, ErrorKind};

mod objects;
mod refs;

pub use objects::{object_of, KINDS};
pub use refs::{annotation_refs, refs_of};

/// A reference from a pod template (or a workload annotation) to a
/// ConfigMap or Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigRef {
    pub kind: &'static str,
    pub name: String,
    /// The namespace named with the reference (wave's `ns/name`); else the
    /// workload's.
    pub namespace: Option<String>,
    /// The keys used (`configMapKeyRef.key`, a volume's `items`); `None`
    /// when every key is (`envFrom`, a whole volume).
    pub keys: Option<Vec<String>>,
    pub optional: bool,
    /// Byte offset of the reference in the text, for warnings.
    pub pos: usize,
    /// Where the reference is: Reloader and wave count different places
    /// (`reloader` reads it; the default mode counts them all).
    pub via: Via,
}

/// Where in a pod spec (or a workload's annotations) a [`ConfigRef`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// `volumes[]`: a plain `configMap`/`secret` source, or one of a
    /// `projected` volume's `sources`; `mounted` when a container or an
    /// init container lists the volume in its `volumeMounts`.
    Volume { projected: bool, mounted: bool },
    /// `env[].valueFrom` or `envFrom[]` of a container of this list.
    Env(Containers),
    /// A workload annotation (Reloader's named lists, wave's extras).
    Annotation,
}

/// The container lists of a pod spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Containers {
    Init,
    Main,
    Ephemeral,
}

/// Where a Secret's content comes from, as a GitOps repository holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A ConfigMap, or a Secret with its data in the clear (base64 is not
    /// encryption): its digest lets anyone test guesses of its values.
    Plain,
    /// A Bitnami SealedSecret: the encrypted data and the template.
    Sealed,
    /// A spec a controller turns into the content: an external-secrets.io
    /// ExternalSecret's (what it fetches), a cert-manager Certificate's
    /// (what it issues), a SecretProviderClass's (what the CSI driver
    /// mounts). [`ConfigObject::found_as`] says which.
    External,
    /// A SOPS-encrypted Secret: the encrypted values.
    Sops,
}

/// A hashed section: its name and its entries, in byte order of their keys.
pub type Section = (&'static str, Vec<(String, String)>);

/// A ConfigMap or Secret found in the inputs, reduced to what is hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigObject {
    /// The kind pods reference: `ConfigMap`, `Secret` or
    /// `SecretProviderClass`.
    pub kind: &'static str,
    pub origin: Origin,
    /// The kind it is in the inputs (`SealedSecret`, `Certificate`, ...).
    pub found_as: &'static str,
    pub name: String,
    pub namespace: Option<String>,
    /// Sections in the documented order, each with its entries in byte
    /// order of their keys.
    pub sections: Vec<Section>,
    /// `reloader.stakater.com/ignore: "true"`: left out of every hash.
    pub ignored: bool,
    /// `reloader.stakater.com/match: "true"`: found by a workload's
    /// `reloader.stakater.com/search` (Reloader mode, `reloader`).
    pub matched: bool,
    /// Byte offset of the object in the text, for messages.
    pub pos: usize,
    /// The 1-based line of `pos`, once the run has counted it.
    pub line: usize,
    /// Why its data cannot be hashed (a `data` value that is a list, say):
    /// an error only for a workload that references it, so an object
    /// nothing uses is never refused for its content.
    pub refused: Option<Error>,
}

impl ConfigObject {
    /// Whether `other` hashes the same: the same kind, name, namespace and
    /// data, wherever it was found. `matched` is left out: only Reloader's
    /// rules read it, and two definitions that differ only there must not
    /// be an error in the default mode.
    fn same_content(&self, other: &ConfigObject) -> bool {
        (
            self.kind,
            &self.name,
            &self.namespace,
            &self.sections,
            self.ignored,
            &self.refused,
        ) == (
            other.kind,
            &other.name,
            &other.namespace,
            &other.sections,
            other.ignored,
            &other.refused,
        )
    }
}

/// Sections whose entries are the Secret's or ConfigMap's keys, so a
/// reference to some keys hashes only those. Other sections (an
/// ExternalSecret's spec, a SealedSecret's template) count whole.
const KEYED: [&str; 5] = [
    "data",
    "binaryData",
    "stringData",
    "encryptedData",
    "template.data",
];

fn seq<'n, 'a>(n: Option<&'n Node<'a>>) -> &'n [Node<'a>] {
    match n.map(|n| &n.kind) {
        Some(Kind::Seq(items, _)) => items,
        _ => &[],
    }
}

fn child<'n, 'a>(n: &'n Node<'a>, key: &str) -> Option<&'n Node<'a>> {
    n.get(key).map(|(_, v)| v)
}

fn is_true(n: Option<&Node<'_>>) -> bool {
    n.and_then(Node::as_str).is_some_and(|s| s == "true")
}

/// One object of a digest, and the keys a workload uses of it (`None` for
/// every key).
pub type Used<'o> = (&'o ConfigObject, Option<BTreeSet<String>>);

/// A keyed digest: HMAC-SHA256 under a team's key.
pub type Keyed = Hmac<Sha256>;

/// The digest of `objects`, in the layout the module documents: SHA-256,
/// or HMAC-SHA256 when `key` is given.
pub fn digest(objects: &[Used<'_>], key: Option<&Keyed>) -> String {
    let mut sorted: Vec<&Used<'_>> = objects.iter().collect();
    sorted.sort_by(|(a, _), (b, _)| {
        (a.kind, &a.name, &a.namespace).cmp(&(b.kind, &b.name, &b.namespace))
    });
    let mut msg = Vec::new();
    for (o, keys) in sorted {
        for part in [o.kind, o.name.as_str()] {
            msg.extend_from_slice(part.as_bytes());
            msg.push(0);
        }
        for (section, kv) in &o.sections {
            msg.extend_from_slice(section.as_bytes());
            msg.push(0);
            let keyed = KEYED.contains(section);
            for (k, v) in kv {
                if keyed && keys.as_ref().is_some_and(|used| !used.contains(k)) {
                    continue;
                }
                msg.extend_from_slice(k.as_bytes());
                msg.push(0);
                msg.extend_from_slice(v.as_bytes());
                msg.push(0);
            }
        }
        msg.push(0);
    }
    let bytes: Vec<u8> = match key {
        Some(mac) => {
            let mut mac = mac.clone();
            mac.update(&msg);
            mac.finalize().into_bytes().to_vec()
        }
        None => Sha256::digest(&msg).to_vec(),
    };
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every ConfigMap and Secret of the run, by kind, namespace and name.
#[derive(Default)]
pub struct Index<'o> {
    map: HashMap<(&'static str, Option<&'o str>, &'o str), Vec<Found<'o>>>,
    /// For keyed digests.
    pub key: Option<Keyed>,
}

/// One definition and where it came from.
#[derive(Clone, Copy)]
pub struct Found<'o> {
    pub object: &'o ConfigObject,
    /// The input's name and text, to show the definition's position.
    pub path: &'o str,
    pub text: &'o str,
}

impl<'o> Index<'o> {
    /// Adds `o`, found in the input named `path` whose text is `text`.
    /// A definition whose content equals an earlier one's counts as that
    /// one: either gives the same digest.
    pub fn add(&mut self, o: &'o ConfigObject, path: &'o str, text: &'o str) {
        let defs = self
            .map
            .entry((o.kind, o.namespace.as_deref(), o.name.as_str()))
            .or_default();
        if !defs.iter().any(|d| d.object.same_content(o)) {
            defs.push(Found {
                object: o,
                path,
                text,
            });
        }
    }

    /// The object `r` refers to from namespace `ns` (absent matches
    /// absent), `None` if the run has none. Two definitions that differ are
    /// an error naming both: which one a cluster gets depends on how the
    /// files are applied, and hashing either would be a guess; the error is
    /// at the reference.
    pub fn get(&self, r: &ConfigRef, ns: Option<&str>) -> Result<Option<Found<'o>>, Error> {
        let ns = r.namespace.as_deref().or(ns);
        match self
            .map
            .get(&(r.kind, ns, r.name.as_str()))
            .map(Vec::as_slice)
        {
            None | Some([]) => Ok(None),
            Some([one]) => Ok(Some(*one)),
            Some(defs) => {
                let at: Vec<String> = defs
                    .iter()
                    .map(|d| {
                        let (line, col) = crate::text::line_col(d.text, d.object.pos);
                        format!("{}:{line}:{col}", d.path)
                    })
                    .collect();
                Err(Error::at(ErrorKind::Refused, r.pos, format!(
                    "{} '{}' has {} different definitions in this run ({}): which one the pods get \
                     depends on how the files are applied, so its hash would be a guess; \
                     for kustomize overlays, hash each build with `reload-stamp --config-hash --kustomize DIR...`, \
                     else name only the files of one definition",
                    r.kind,
                    r.name,
                    defs.len(),
                    at.join(", ")
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(kind: &'static str, name: &str, data: &[(&str, &str)]) -> ConfigObject {
        ConfigObject {
            kind,
            origin: Origin::Plain,
            found_as: kind,
            name: name.into(),
            namespace: None,
            sections: vec![(
                "data",
                data.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )],
            ignored: false,
            matched: false,
            pos: 0,
            line: 0,
            refused: None,
        }
    }

    fn all(o: &ConfigObject) -> Used<'_> {
        (o, None)
    }

    fn sha256(msg: &[u8]) -> String {
        Sha256::digest(msg)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn digest_layout_is_the_documented_one() {
        let a = obj("ConfigMap", "app", &[("a", "1"), ("b", "2")]);
        let want = sha256(b"ConfigMap\0app\0data\0a\x001\0b\x002\0\0");
        assert_eq!(digest(&[all(&a)], None), want);
        // Only the keys used, when the references name keys.
        let used = Some(BTreeSet::from(["b".to_string()]));
        assert_eq!(
            digest(&[(&a, used)], None),
            sha256(b"ConfigMap\0app\0data\0b\x002\0\0")
        );
    }

    #[test]
    fn digest_is_order_independent_and_data_sensitive() {
        let a = obj("ConfigMap", "a", &[("k", "1")]);
        let b = obj("Secret", "a", &[("k", "1")]);
        assert_eq!(
            digest(&[all(&a), all(&b)], None),
            digest(&[all(&b), all(&a)], None)
        );
        let a2 = obj("ConfigMap", "a", &[("k", "2")]);
        assert_ne!(
            digest(&[all(&a), all(&b)], None),
            digest(&[all(&a2), all(&b)], None)
        );
        assert_ne!(digest(&[all(&a)], None), digest(&[all(&b)], None));
    }

    fn parsed(text: &str) -> Node<'_> {
        use crate::document::{parse_all, Mode};
        parse_all(text, Mode::Full)
            .expect("parses")
            .remove(0)
            .root
            .expect("a document")
    }

    /// Each row: an object, and what it stands for (kind, found as, name,
    /// namespace) with the documented message its digest is the SHA-256
    /// of; `None` for an object that is not a source.
    #[test]
    fn new_sources_hash_their_spec() {
        type Want = (
            &'static str,
            &'static str,
            &'static str,
            Option<&'static str>,
            &'static [u8],
        );
        let rows: [(&str, Option<Want>); 7] = [
            (
                "apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\n\
                 metadata: {name: vault, labels: {a: b}}\n\
                 spec: {provider: vault, parameters: {roleName: web}}\n",
                Some(("SecretProviderClass", "SecretProviderClass", "vault", None,
                    b"SecretProviderClass\0vault\0spec\0parameters.roleName\0web\0provider\0vault\0\0")),
            ),
            (
                "apiVersion: secrets-store.csi.x-k8s.io/v1alpha1\nkind: SecretProviderClass\n\
                 metadata: {name: v, namespace: ns}\nspec: {secretObjects: [{secretName: s}]}\n",
                Some(("SecretProviderClass", "SecretProviderClass", "v", Some("ns"),
                    b"SecretProviderClass\0v\0spec\0secretObjects[0].secretName\0s\0\0")),
            ),
            (
                "apiVersion: example.com/v1\nkind: SecretProviderClass\nmetadata: {name: v}\nspec: {a: b}\n",
                None,
            ),
            // The Secret of spec.secretName, not the Certificate's own name;
            // renewal timing and the Secret's labels are left out.
            (
                "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c, namespace: ns}\n\
                 spec: {secretName: tls, renewBefore: 1h, renewBeforePercentage: 20, \
                 revisionHistoryLimit: 2, secretTemplate: {labels: {a: b}}, \
                 issuerRef: {name: le}, dnsNames: [a.example, b.example]}\n",
                Some(("Secret", "Certificate", "tls", Some("ns"),
                    b"Secret\0tls\0spec\0dnsNames[0]\0a.example\0dnsNames[1]\0b.example\0\
                      issuerRef.name\0le\0secretName\0tls\0\0")),
            ),
            (
                "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c}\nspec: {dnsNames: [a]}\n",
                None,
            ),
            (
                "apiVersion: example.com/v1\nkind: Certificate\nmetadata: {name: c}\nspec: {secretName: tls}\n",
                None,
            ),
            // Unchanged: an ExternalSecret still skips only refreshInterval.
            (
                "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata: {name: e}\n\
                 spec: {refreshInterval: 1h, renewBefore: x}\n",
                Some(("Secret", "ExternalSecret", "e", None, b"Secret\0e\0spec\0renewBefore\0x\0\0")),
            ),
        ];
        for (text, want) in rows {
            let got = object_of(&parsed(text)).expect("valid");
            let Some((kind, found_as, name, ns, msg)) = want else {
                assert_eq!(got, None, "{text}");
                continue;
            };
            let o = got.unwrap_or_else(|| panic!("a source: {text}"));
            let seen = (o.kind, o.found_as, o.name.as_str(), o.namespace.as_deref());
            assert_eq!(seen, (kind, found_as, name, ns), "{text}");
            assert_eq!(o.origin, Origin::External, "{text}");
            assert_eq!(digest(&[all(&o)], None), sha256(msg), "{text}");
        }
        // The module doc's example, as `printf ... | sha256sum` gives it.
        let spc = "apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\n\
                   metadata: {name: web-vault}\nspec: {provider: vault, parameters: {roleName: web}}\n";
        let o = object_of(&parsed(spc)).expect("valid").expect("a source");
        assert_eq!(
            digest(&[all(&o)], None),
            "b6d2d5e62f1b39db4e4db92845195bf13e3c88e601422347dc5c0daed6c7453c"
        );
    }

    /// Each row: a pod spec (or workload metadata), and the references it
    /// makes, as (kind, name).
    #[test]
    fn secret_provider_class_references() {
        let csi = |driver: &str| {
            format!(
                "volumes:\n- name: s\n  csi:\n    driver: {driver}\n    \
                 volumeAttributes: {{secretProviderClass: vault}}\n\
                 containers: [{{name: c, volumeMounts: [{{name: s, mountPath: /s}}]}}]\n"
            )
        };
        let rows: [(String, Vec<(&str, &str)>); 4] = [
            (csi("secrets-store.csi.k8s.io"), vec![("SecretProviderClass", "vault")]),
            (csi("hostpath.csi.k8s.io"), vec![]),
            (
                "volumes: [{name: s, csi: {driver: secrets-store.csi.k8s.io}}]\n".into(),
                vec![],
            ),
            (
                "volumes: [{name: s, secret: {secretName: t}, \
                 csi: {driver: secrets-store.csi.k8s.io, volumeAttributes: {secretProviderClass: v}}}]\n"
                    .into(),
                vec![("Secret", "t"), ("SecretProviderClass", "v")],
            ),
        ];
        for (text, want) in rows {
            let got: Vec<(&str, String)> = refs_of(&parsed(&text))
                .into_iter()
                .map(|r| (r.kind, r.name))
                .collect();
            let want: Vec<(&str, String)> =
                want.into_iter().map(|(k, n)| (k, n.to_string())).collect();
            assert_eq!(got, want, "{text}");
        }
        let meta =
            parsed("annotations: {secretproviderclass.reloader.stakater.com/reload: 'a, b'}\n");
        let got: Vec<(&str, String)> = annotation_refs(Some(&meta))
            .into_iter()
            .map(|r| (r.kind, r.name))
            .collect();
        let want = [("SecretProviderClass", "a"), ("SecretProviderClass", "b")];
        assert_eq!(got, want.map(|(k, n)| (k, n.to_string())));
    }

    #[test]
    fn keyed_digest_is_hmac_sha256() {
        // RFC 4231, test case 2: key "Jefe".
        let mut mac = <Keyed as Mac>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let got: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            got,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let a = obj("ConfigMap", "app", &[("a", "1")]);
        let key = <Keyed as Mac>::new_from_slice(b"k").unwrap();
        assert_ne!(digest(&[all(&a)], Some(&key)), digest(&[all(&a)], None));
    }
}

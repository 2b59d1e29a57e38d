#!/usr/bin/env python3
"""Deterministic generator of realistic Kubernetes YAML for benchmarking.

    python3 bench/gen.py stream --size-mb 20 --seed 42 -o stream.yaml
    python3 bench/gen.py tree --files 10000 --seed 42 -o tree/

The same arguments always give byte-identical output: everything random comes
from one random.Random(seed) drawn in a fixed order, nothing depends on time,
hash() or directory listing order, and files are written with "\\n" newlines.

The YAML is emitted as text by a small writer below rather than by a YAML
library, because the point is to reproduce what hand-written and tool-generated
manifests look like: comments (including column-0 commented-out blocks), helm
"# Source:" headers, quoting styles, flow collections, block scalars holding
config files (some of which contain YAML that looks like a pod template), both
indented and kustomize-style (indentless) sequences, and pod templates with,
without, or with flow-style metadata/annotations.

Roughly 40% of documents are workloads (Deployment/StatefulSet/DaemonSet).
Only the Python 3 standard library is used.
"""

import argparse
import base64
import json
import os
import random
import re
import sys

# ---------------------------------------------------------------------------
# A tiny YAML text writer.
#
# Documents are built as nested dicts/lists of plain Python values plus the
# marker classes below; emit() turns one into lines. Dict insertion order is
# the output order, so the output is as deterministic as the RNG.


class Comment:
    """A whole-line comment; used as a dict key (its value is ignored) or a
    list item. `col0` puts it at column 0, as editors do when commenting out
    a block, which is legal YAML at any nesting depth."""

    def __init__(self, text, col0=False):
        self.text = text
        self.col0 = col0


class Trailing:
    """A scalar followed by `  # comment` on the same line."""

    def __init__(self, value, comment):
        self.value = value
        self.comment = comment


class Block:
    """A block scalar (`|`, `|-`, `>`) whose content is `text`."""

    def __init__(self, text, indicator="|"):
        self.text = text
        self.indicator = indicator


class Flow:
    """A list or dict written in flow style on one line."""

    def __init__(self, value):
        self.value = value


class Quoted:
    """A string forced into a given quoting style ('"' or "'")."""

    def __init__(self, value, quote='"'):
        self.value = value
        self.quote = quote


# Plain scalars we allow unquoted: conservative, so we never emit a string
# that YAML 1.1 or 1.2 would read as something else (or that a flow
# collection would split). Quantities like 250m and 4Gi are plain in real
# manifests, so they are allowed although they start with a digit.
_PLAIN = re.compile(r"^(?:[A-Za-z_/]|-[A-Za-z-])[A-Za-z0-9_./:@=+-]*$")
_QUANTITY = re.compile(r"^[0-9]+(?:m|Ki|Mi|Gi|Ti)$")
_SPECIAL = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|"
    r"on|On|ON|off|Off|OFF|null|Null|NULL|~|\.inf|\.nan)$"
)


def _plain_ok(s):
    if _QUANTITY.match(s):
        return True
    return bool(_PLAIN.match(s)) and not _SPECIAL.match(s) and not s.endswith(":")


def scalar(v):
    if isinstance(v, Quoted):
        if v.quote == "'":
            return "'" + v.value.replace("'", "''") + "'"
        return json.dumps(v.value, ensure_ascii=False)
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return str(v)
    if _plain_ok(v):
        return v
    # JSON string syntax is valid YAML double-quoted syntax.
    return json.dumps(v, ensure_ascii=False)


def flow(v):
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{" + ", ".join(f"{flow(k)}: {flow(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        if not v:
            return "[]"
        return "[" + ", ".join(flow(x) for x in v) + "]"
    # PyYAML rejects ':' inside plain scalars in flow context; quote those.
    if isinstance(v, str) and ":" in v:
        return json.dumps(v, ensure_ascii=False)
    return scalar(v)


class Emitter:
    """Emits one document. `seq_indent` is 2 for `key:\\n  - item` and 0 for
    the kustomize/kubectl style `key:\\n- item`."""

    def __init__(self, seq_indent):
        self.seq_indent = seq_indent
        self.lines = []

    def comment(self, c, ind):
        self.lines.append(("" if c.col0 else " " * ind) + "# " + c.text)

    def value_inline(self, v):
        """The text after `key:` for values that fit on the key's line, or
        None when the value needs lines of its own."""
        if isinstance(v, Trailing):
            return " " + self.value_inline(v.value).lstrip() + "  # " + v.comment
        if isinstance(v, Flow):
            return " " + flow(v.value)
        if isinstance(v, Block):
            return None
        if isinstance(v, dict):
            return None if v else " {}"
        if isinstance(v, list):
            return None if v else " []"
        return " " + scalar(v)

    def mapping(self, m, ind):
        for k, v in m.items():
            if isinstance(k, Comment):
                self.comment(k, ind)
                continue
            self.entry(scalar(k), v, ind)

    def entry(self, key, v, ind):
        pad = " " * ind
        inline = self.value_inline(v)
        if inline is not None:
            self.lines.append(f"{pad}{key}:{inline}")
        elif isinstance(v, Block):
            self.lines.append(f"{pad}{key}: {v.indicator}")
            inner = " " * (ind + 2)
            for line in v.text.split("\n"):
                self.lines.append(inner + line if line else "")
        elif isinstance(v, dict):
            self.lines.append(f"{pad}{key}:")
            self.mapping(v, ind + 2)
        else:
            self.lines.append(f"{pad}{key}:")
            self.sequence(v, ind + self.seq_indent)

    def sequence(self, items, ind):
        pad = " " * ind
        for item in items:
            if isinstance(item, Comment):
                self.comment(item, ind)
            elif isinstance(item, dict) and item:
                # Emit the mapping as if indented under the dash, then put
                # the dash in front of its first line.
                start = len(self.lines)
                self.mapping(item, ind + 2)
                first = self.lines[start]
                self.lines[start] = pad + "- " + first[ind + 2 :]
            elif isinstance(item, Trailing):
                self.lines.append(f"{pad}- {scalar(item.value)}  # {item.comment}")
            elif isinstance(item, Flow):
                self.lines.append(f"{pad}- {flow(item.value)}")
            else:
                self.lines.append(f"{pad}- {flow(item)}")


def emit(doc, seq_indent):
    e = Emitter(seq_indent)
    e.mapping(doc, 0)
    return "\n".join(e.lines) + "\n"


# ---------------------------------------------------------------------------
# Vocabulary.

APPS = [
    "checkout", "payments", "inventory", "search-api", "web-frontend", "auth",
    "notifications", "orders", "catalog", "recommendation", "gateway", "billing",
    "ledger", "shipping", "profile", "media-resizer", "feature-flags", "audit",
    "scheduler", "reporting", "session-store", "pricing", "geo", "chat",
]
INFRA = [
    "redis", "postgres", "kafka", "zookeeper", "rabbitmq", "elasticsearch",
    "fluent-bit", "node-exporter", "nginx-ingress", "cert-manager", "vault-agent",
    "otel-collector", "prometheus", "loki", "memcached", "etcd",
]
NAMESPACES = [
    "default", "prod", "staging", "dev", "payments", "platform", "monitoring",
    "kube-system", "data", "edge", "team-blue", "team-green",
]
REGISTRIES = [
    "ghcr.io/acme", "registry.example.com/platform", "docker.io/library",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "quay.io/prometheus",
    "gcr.io/acme-prod",
]
ENVS = ["prod", "staging", "dev", "qa"]
TEAMS = ["core", "growth", "data", "platform", "edge", "identity", "commerce", "ops"]
COMMENTS = [
    "managed by platform team; ask in #platform before changing",
    "TODO: tune after load test",
    "see runbook: https://wiki.example.com/runbooks/{app}",
    "keep in sync with the helm chart values",
    "DO NOT EDIT: generated by kustomize build",
    "bumped for CVE-2024-1234",
    "pinned: newer versions break the health check",
    "overridden per environment in overlays/",
    "requests are sized for p95 traffic",
    "Überwachung: alerts route to #oncall-{app}",
    "spec: template: metadata: annotations: (this is only a comment)",
    "---- not a document separator, just a comment ----",
]

class Gen:
    """Draws documents from one RNG. Each name is unique per kind and
    namespace within one Gen, so a stream is also a valid kustomize input."""

    def __init__(self, seed):
        self.r = random.Random(seed)
        self.serial = 0

    # -- small helpers -----------------------------------------------------

    def chance(self, p):
        return self.r.random() < p

    def pick(self, xs):
        return self.r.choice(xs)

    def hexstr(self, n):
        return f"{self.r.getrandbits(4 * n):0{n}x}"

    def b64(self, nbytes):
        raw = self.r.getrandbits(8 * nbytes).to_bytes(nbytes, "little")
        return base64.b64encode(raw).decode("ascii")

    def name(self, base):
        self.serial += 1
        return f"{base}-{self.serial:05d}"

    def comment(self, app):
        return self.pick(COMMENTS).replace("{app}", app)

    def image(self, app):
        tag = f"{self.r.randint(0, 4)}.{self.r.randint(0, 30)}.{self.r.randint(0, 12)}"
        reg = self.pick(REGISTRIES)
        if self.chance(0.15):
            return f"{reg}/{app}@sha256:{self.hexstr(64)}"
        img = f"{reg}/{app}:{tag}"
        return Quoted(img) if self.chance(0.2) else img

    def labels(self, app, component, extra=True):
        m = {"app.kubernetes.io/name": app}
        if extra:
            m["app.kubernetes.io/instance"] = f"{app}-{self.pick(ENVS)}"
            m["app.kubernetes.io/component"] = component
            m["app.kubernetes.io/part-of"] = self.pick(TEAMS)
            m["app.kubernetes.io/version"] = Quoted(
                f"{self.r.randint(1, 9)}.{self.r.randint(0, 40)}.{self.r.randint(0, 9)}"
            )
            if self.chance(0.5):
                m["app.kubernetes.io/managed-by"] = self.pick(["Helm", "kustomize", "argocd"])
        return m

    def metadata(self, name, ns, labels, annotations=None):
        md = {"name": name}
        if ns is not None:
            md["namespace"] = ns
        md["labels"] = labels
        if annotations:
            md["annotations"] = annotations
        return md

    # -- pod spec ----------------------------------------------------------

    def env(self, app, cms, secrets):
        out = []
        for _ in range(self.r.randint(2, 9)):
            kind = self.r.randint(0, 9)
            var = self.pick([
                "LOG_LEVEL", "DATABASE_URL", "REDIS_HOST", "JAVA_OPTS", "GOMAXPROCS",
                "OTEL_EXPORTER_OTLP_ENDPOINT", "FEATURE_FLAGS", "API_TOKEN", "HTTP_PORT",
                "TZ", "SENTRY_DSN", "CACHE_TTL_SECONDS", "KAFKA_BROKERS", "POD_NAME",
            ]) + (f"_{self.r.randint(1, 9)}" if self.chance(0.3) else "")
            if kind <= 3:
                val = self.pick([
                    Quoted(str(self.r.randint(1, 65535))), "info", "debug", "Europe/Berlin",
                    Quoted("true"), Quoted("-Xms512m -Xmx2g -XX:+UseG1GC"),
                    "http://otel-collector.monitoring.svc:4317",
                    Quoted("postgres://app@db:5432/app?sslmode=require", "'"),
                    Quoted(""),
                ])
                e = {"name": var, "value": val}
            elif kind <= 5:
                e = {"name": var, "valueFrom": {"configMapKeyRef": {
                    "name": self.pick(cms), "key": var.lower().replace("_", "."),
                }}}
                if self.chance(0.3):
                    e["valueFrom"]["configMapKeyRef"]["optional"] = True
            elif kind <= 7:
                e = {"name": var, "valueFrom": {"secretKeyRef": {
                    "name": self.pick(secrets), "key": self.pick(["password", "token", "dsn", "api-key"]),
                }}}
            elif kind == 8:
                e = {"name": var, "valueFrom": {"fieldRef": {
                    "apiVersion": "v1",
                    "fieldPath": self.pick(["metadata.name", "metadata.namespace", "status.podIP", "spec.nodeName"]),
                }}}
            else:
                e = {"name": var, "valueFrom": {"resourceFieldRef": {
                    "containerName": app, "resource": "limits.memory", "divisor": "1Mi",
                }}}
            out.append(e)
        if self.chance(0.2):
            out.insert(self.r.randint(1, len(out)), Comment(self.comment(app)))
        return out

    def probe(self, port):
        kind = self.r.randint(0, 2)
        if kind == 0:
            p = {"httpGet": {"path": self.pick(["/healthz", "/readyz", "/livez", "/-/ready", "/actuator/health"]),
                             "port": self.pick([port, "http"]), "scheme": "HTTP"}}
            if self.chance(0.3):
                p["httpGet"]["httpHeaders"] = [{"name": "X-Probe", "value": "kubelet"}]
        elif kind == 1:
            p = {"tcpSocket": {"port": port}}
        else:
            p = {"exec": {"command": Flow(["sh", "-c", "pg_isready -U postgres -h 127.0.0.1"])}}
        p["initialDelaySeconds"] = self.r.choice([0, 5, 10, 15, 30])
        p["periodSeconds"] = self.r.choice([5, 10, 20])
        p["timeoutSeconds"] = self.r.choice([1, 2, 5])
        p["failureThreshold"] = self.r.choice([3, 5, 6])
        if self.chance(0.4):
            p["successThreshold"] = 1
        return p

    def resources(self):
        cpu = self.pick(["50m", "100m", "250m", "500m", "1", Quoted("2")])
        mem = self.pick(["64Mi", "128Mi", "256Mi", "512Mi", "1Gi", "2Gi", "4Gi"])
        if self.chance(0.08):
            return {}
        res = {"requests": {"cpu": cpu, "memory": mem}}
        if self.chance(0.8):
            res["limits"] = {"memory": mem}
            if self.chance(0.5):
                res["limits"]["cpu"] = self.pick(["500m", "1", "2000m"])
        if self.chance(0.15):
            res["requests"]["memory"] = Trailing(mem, self.comment("x"))
        return res

    def container(self, app, cname, cms, secrets, volumes, main):
        port = self.pick([8080, 8443, 9090, 3000, 5432, 6379, 80, 9092, 8000])
        c = {"name": cname, "image": self.image(cname if main else self.pick(INFRA))}
        c["imagePullPolicy"] = self.pick(["IfNotPresent", "Always", "IfNotPresent"])
        if self.chance(0.4):
            c["command"] = Flow(["/bin/" + cname]) if self.chance(0.5) else ["/usr/local/bin/entrypoint.sh"]
        if self.chance(0.6):
            args = [f"--port={port}", f"--log-level={self.pick(['info', 'debug', 'warn'])}",
                    "--config=/etc/app/config.yaml"]
            if self.chance(0.3):
                args.append(Quoted("--metrics-addr=:9100"))
            c["args"] = Flow(args) if self.chance(0.4) else args
        if main or self.chance(0.4):
            ports = [{"name": "http", "containerPort": port, "protocol": "TCP"}]
            if self.chance(0.5):
                ports.append({"name": "metrics", "containerPort": 9100})
            c["ports"] = ports
        c["env"] = self.env(app, cms, secrets)
        if self.chance(0.5):
            ef = [{"configMapRef": {"name": self.pick(cms)}}]
            if self.chance(0.6):
                ef.append({"secretRef": {"name": self.pick(secrets), "optional": self.chance(0.5)}})
            if self.chance(0.2):
                ef[0]["prefix"] = "APP_"
            c["envFrom"] = ef
        c["resources"] = self.resources()
        if main or self.chance(0.3):
            c["livenessProbe"] = self.probe(port)
            c["readinessProbe"] = self.probe(port)
            if self.chance(0.2):
                c["startupProbe"] = self.probe(port)
        if volumes and self.chance(0.85):
            mounts = []
            for v in volumes[: self.r.randint(1, len(volumes))]:
                m = {"name": v, "mountPath": f"/etc/{v}"}
                if self.chance(0.4):
                    m["readOnly"] = True
                if self.chance(0.1):
                    m["subPath"] = "config.yaml"
                mounts.append(m)
            c["volumeMounts"] = mounts
        if self.chance(0.6):
            c["securityContext"] = {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": self.chance(0.7),
                "capabilities": {"drop": Flow(["ALL"]) if self.chance(0.5) else ["ALL"]},
            }
        if self.chance(0.1):
            c["lifecycle"] = {"preStop": {"exec": {"command": ["sh", "-c", "sleep 10"]}}}
        return c

    def volumes(self, app, cms, secrets):
        vols, names = [], []
        for i in range(self.r.randint(1, 5)):
            kind = self.r.randint(0, 5)
            name = self.pick(["config", "certs", "data", "tmp", "tokens", "plugins", "cache"]) + f"-{i}"
            if kind == 0:
                v = {"name": name, "configMap": {"name": self.pick(cms)}}
                if self.chance(0.4):
                    v["configMap"]["items"] = [{"key": "config.yaml", "path": "config.yaml"}]
                    v["configMap"]["defaultMode"] = 420
            elif kind == 1:
                v = {"name": name, "secret": {"secretName": self.pick(secrets), "defaultMode": 256}}
            elif kind == 2:
                v = {"name": name, "projected": {"defaultMode": 420, "sources": [
                    {"serviceAccountToken": {"audience": "vault", "expirationSeconds": 3600, "path": "token"}},
                    {"configMap": {"name": self.pick(cms), "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                    {"secret": {"name": self.pick(secrets), "items": [{"key": "tls.crt", "path": "tls.crt"}]}},
                    {"downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
                ]}}
            elif kind == 3:
                v = {"name": name, "emptyDir": {} if self.chance(0.5) else {"medium": "Memory", "sizeLimit": "256Mi"}}
            elif kind == 4:
                v = {"name": name, "persistentVolumeClaim": {"claimName": f"{app}-{name}"}}
            else:
                v = {"name": name, "hostPath": {"path": "/var/log", "type": "Directory"}}
            vols.append(v)
            names.append(name)
        return vols, names

    def pod_spec(self, app, kind):
        cms = [f"{app}-config", f"{app}-env", "shared-config"]
        secrets = [f"{app}-secrets", "db-credentials", "registry-auth"]
        vols, vnames = self.volumes(app, cms, secrets)
        spec = {}
        if self.chance(0.7):
            spec["serviceAccountName"] = app
        if self.chance(0.3):
            spec["automountServiceAccountToken"] = False
        if self.chance(0.5):
            spec["securityContext"] = {"runAsNonRoot": True, "runAsUser": 10001, "fsGroup": 2000,
                                       "seccompProfile": {"type": "RuntimeDefault"}}
        if self.chance(0.3):
            spec["imagePullSecrets"] = [{"name": "registry-auth"}]
        if self.chance(0.25):
            spec["initContainers"] = [self.container(app, "init-migrate", cms, secrets, vnames, False)]
        containers = [self.container(app, app.split("-")[0], cms, secrets, vnames, True)]
        for i in range(self.r.randint(0, 3)):
            side = self.pick(["istio-proxy", "log-shipper", "vault-agent", "cloud-sql-proxy", "metrics-exporter"])
            containers.append(self.container(app, f"{side}-{i}" if i else side, cms, secrets, vnames, False))
        if self.chance(0.15):
            # A commented-out container at column 0, as editors leave them.
            containers.insert(1, Comment("- name: debug-shell", col0=True))
            containers.insert(2, Comment("  image: busybox:1.36", col0=True))
        spec["containers"] = containers
        spec["volumes"] = vols
        if self.chance(0.3):
            spec["nodeSelector"] = {"kubernetes.io/os": "linux", "node.kubernetes.io/pool": self.pick(["general", "highmem", "spot"])}
        if kind == "DaemonSet" or self.chance(0.2):
            spec["tolerations"] = [
                {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"},
                {"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            ]
        if self.chance(0.3):
            spec["affinity"] = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 100, "podAffinityTerm": {
                    "labelSelector": {"matchExpressions": [
                        {"key": "app.kubernetes.io/name", "operator": "In", "values": [app]}]},
                    "topologyKey": "kubernetes.io/hostname"}}]}}
        if self.chance(0.2):
            spec["topologySpreadConstraints"] = [{
                "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": app}}}]
        spec["terminationGracePeriodSeconds"] = self.pick([30, 60, 10])
        if self.chance(0.2):
            spec["dnsPolicy"] = "ClusterFirst"
            spec["restartPolicy"] = "Always"
        return spec

    def template_metadata(self, app, sel_labels):
        """Pod template metadata in the shapes a stamping tool meets."""
        shape = self.r.randint(0, 9)
        if shape <= 1:
            return None  # no metadata at all
        md = {}
        if shape == 2 and self.chance(0.5):
            md["creationTimestamp"] = None  # as `kubectl create --dry-run -o yaml` writes
        md["labels"] = dict(sel_labels)
        if self.chance(0.3):
            md["labels"]["version"] = Quoted("v" + str(self.r.randint(1, 5)))
        if shape <= 3:
            return md  # labels only
        ann = {}
        if shape == 4:
            md["annotations"] = Flow({"prometheus.io/scrape": Quoted("true")}) if self.chance(0.7) else {}
            return md
        if self.chance(0.6):
            ann["prometheus.io/scrape"] = Quoted("true")
            ann["prometheus.io/port"] = Quoted("9100")
        if self.chance(0.3):
            ann["checksum/config"] = self.hexstr(64)
        if self.chance(0.3):
            ann["vault.hashicorp.com/agent-inject"] = Quoted("true")
            ann["vault.hashicorp.com/role"] = app
        if shape >= 8:
            # Already stamped by an earlier run.
            ann["reloaded-at"] = self.pick([
                Quoted("20250101120000"), Quoted("20240612083015", "'"), "2025-03-04T05:06:07Z",
            ])
            if self.chance(0.3):
                ann = {Comment("bumped by CI to roll the pods"): None, **ann}
        if not ann:
            ann["kubectl.kubernetes.io/default-container"] = app.split("-")[0]
        md["annotations"] = ann
        return md

    # -- documents ---------------------------------------------------------

    def workload(self, kind, ns):
        app = self.pick(APPS + INFRA if kind != "Deployment" else APPS)
        name = self.name(app)
        sel = {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": name}
        ann = None
        if self.chance(0.3):
            ann = {"deployment.kubernetes.io/revision": Quoted(str(self.r.randint(1, 40))),
                   "description": f"{app} service for team {self.pick(TEAMS)}"}
        md = self.metadata(name, ns, {**self.labels(app, "server"), **sel}, ann)
        spec = {}
        if kind != "DaemonSet":
            spec["replicas"] = Trailing(self.r.randint(1, 12), "HPA overrides this") if self.chance(0.15) else self.r.randint(1, 12)
        if kind == "StatefulSet":
            spec["serviceName"] = f"{name}-headless"
            spec["podManagementPolicy"] = self.pick(["OrderedReady", "Parallel"])
        spec["revisionHistoryLimit"] = 10
        spec["selector"] = {"matchLabels": sel}
        if kind == "Deployment" and self.chance(0.6):
            spec["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": Quoted("25%"), "maxUnavailable": 0}}
        elif kind != "Deployment" and self.chance(0.5):
            spec["updateStrategy"] = {"type": "RollingUpdate"}
        if self.chance(0.2):
            spec[Comment(self.comment(app))] = None
        tmpl = {}
        tmd = self.template_metadata(app, sel)
        if tmd is not None:
            tmpl["metadata"] = tmd
        tmpl["spec"] = self.pod_spec(app, kind)
        spec["template"] = tmpl
        if kind == "StatefulSet":
            spec["volumeClaimTemplates"] = [{
                "metadata": {"name": "data"},
                "spec": {"accessModes": Flow(["ReadWriteOnce"]), "storageClassName": "gp3",
                         "resources": {"requests": {"storage": self.pick(["10Gi", "50Gi", "200Gi"])}}}}]
        apiv = "apps/v1"
        return {"apiVersion": apiv, "kind": kind, "metadata": md, "spec": spec}

    def service(self, ns):
        app = self.pick(APPS + INFRA)
        name = self.name(app)
        ann = None
        if self.chance(0.3):
            ann = {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                   "external-dns.alpha.kubernetes.io/hostname": f"{app}.example.com"}
        spec = {"type": self.pick(["ClusterIP", "ClusterIP", "NodePort", "LoadBalancer"])}
        if self.chance(0.15):
            spec["clusterIP"] = "None"
            spec["type"] = "ClusterIP"
        ports = [{"name": "http", "port": 80, "targetPort": self.pick(["http", 8080]), "protocol": "TCP"}]
        if self.chance(0.4):
            ports.append({"name": "grpc", "port": 9090, "targetPort": 9090})
        spec["ports"] = ports
        spec["selector"] = {"app.kubernetes.io/name": app}
        if self.chance(0.2):
            spec["sessionAffinity"] = "ClientIP"
        return {"apiVersion": "v1", "kind": "Service",
                "metadata": self.metadata(name, ns, self.labels(app, "service", self.chance(0.5)), ann),
                "spec": spec}

    def config_file(self, app):
        kind = self.r.randint(0, 5)
        if kind == 0:
            key = "nginx.conf"
            lines = ["worker_processes auto;", "events {", "    worker_connections 1024;", "}", "http {",
                     "    sendfile on;", "    keepalive_timeout 65;"]
            for i in range(self.r.randint(2, 12)):
                lines += [f"    upstream {app}_{i} {{", f"        server {app}-{i}.svc.cluster.local:8080;",
                          "    }", "    server {", f"        listen {8000 + i};",
                          f"        location /api/v{i}/ {{ proxy_pass http://{app}_{i}; }}", "    }", ""]
            lines.append("}")
        elif kind == 1:
            key = "application.properties"
            lines = [f"spring.application.name={app}", "server.port=8080",
                     "management.endpoints.web.exposure.include=health,info,prometheus"]
            for i in range(self.r.randint(5, 40)):
                lines.append(f"{app}.feature.flag{i}.enabled={self.pick(['true', 'false'])}")
                if self.chance(0.2):
                    lines.append(f"# comment {i}: inside a block scalar, not YAML")
        elif kind == 2:
            key = "config.yaml"
            # YAML inside a block scalar that looks like a pod template: a
            # text-level tool must not touch it.
            lines = ["apiVersion: apps/v1", "kind: Deployment", "metadata:", f"  name: {app}-template",
                     "spec:", "  template:", "    metadata:", "      annotations:",
                     "        reloaded-at: \"19700101000000\"", "    spec:", "      containers:",
                     f"      - name: {app}", "        image: busybox", "---", "logging:", "  level: info"]
            for i in range(self.r.randint(3, 25)):
                lines += [f"  sink{i}:", f"    url: http://collector-{i}:4318", "    batch: 512"]
        elif kind == 3:
            key = "logging.json"
            body = {"version": 1, "handlers": {f"h{i}": {"level": "INFO", "stream": "stdout"}
                                               for i in range(self.r.randint(2, 10))}}
            lines = json.dumps(body, indent=2).split("\n")
        elif kind == 4:
            key = "entrypoint.sh"
            lines = ["#!/bin/sh", "set -eu", "", f"echo \"starting {app}\"",
                     "if [ -n \"${DEBUG:-}\" ]; then set -x; fi"]
            for i in range(self.r.randint(2, 15)):
                lines.append(f"export OPT_{i}=\"${{OPT_{i}:-{self.r.randint(0, 999)}}}\"  # default")
            lines += ["", "exec \"$@\""]
        else:
            key = "ca.crt"
            lines = ["-----BEGIN CERTIFICATE-----"]
            lines += [self.b64(48) for _ in range(self.r.randint(10, 25))]
            lines.append("-----END CERTIFICATE-----")
        return key, "\n".join(lines)

    def configmap(self, ns):
        app = self.pick(APPS + INFRA)
        name = self.name(f"{app}-config")
        data = {}
        for _ in range(self.r.randint(1, 4)):
            key, text = self.config_file(app)
            data[key] = Block(text, self.pick(["|", "|", "|-"]))
        for i in range(self.r.randint(0, 6)):
            data[f"LOG_LEVEL_{i}" if i else "LOG_LEVEL"] = self.pick(["info", "debug", Quoted("true"), Quoted("8080")])
        if self.chance(0.1):
            data["motd"] = Block("Welcome to the cluster.\nMaintenance window: Sundays 02:00-04:00 UTC.\n", ">")
        doc = {"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": self.metadata(name, ns, self.labels(app, "config", self.chance(0.5))),
               "data": data}
        if self.chance(0.1):
            doc["immutable"] = True
        return doc

    def secret(self, ns):
        app = self.pick(APPS + INFRA)
        tls = self.chance(0.25)
        name = self.name(f"{app}-tls" if tls else f"{app}-secrets")
        doc = {"apiVersion": "v1", "kind": "Secret",
               "metadata": self.metadata(name, ns, self.labels(app, "secret", False)),
               "type": "kubernetes.io/tls" if tls else "Opaque"}
        if tls:
            doc["data"] = {"tls.crt": self.b64(self.r.randint(900, 1500)), "tls.key": self.b64(self.r.randint(1100, 1700))}
        else:
            doc["data"] = {k: self.b64(self.r.randint(8, 64))
                           for k in ["username", "password", "dsn", "api-key", "token"][: self.r.randint(1, 5)]}
            if self.chance(0.3):
                doc["stringData"] = {"config.ini": Block("[auth]\nmode = oidc\nissuer = https://login.example.com/\n")}
        return doc

    def service_account(self, ns):
        app = self.pick(APPS + INFRA)
        md = self.metadata(self.name(app), ns, self.labels(app, "rbac", False))
        if self.chance(0.4):
            md["annotations"] = {"eks.amazonaws.com/role-arn": f"arn:aws:iam::123456789012:role/{app}"}
        return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": md,
                "automountServiceAccountToken": self.chance(0.5)}

    def ingress(self, ns):
        app = self.pick(APPS)
        name = self.name(app)
        return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": self.metadata(name, ns, self.labels(app, "ingress", False), {
                    "cert-manager.io/cluster-issuer": "letsencrypt",
                    "nginx.ingress.kubernetes.io/proxy-body-size": Quoted("16m")}),
                "spec": {"ingressClassName": "nginx",
                         "tls": [{"hosts": [f"{app}.example.com"], "secretName": f"{app}-tls"}],
                         "rules": [{"host": f"{app}.example.com", "http": {"paths": [
                             {"path": "/", "pathType": "Prefix",
                              "backend": {"service": {"name": app, "port": {"number": 80}}}}]}}]}}

    def hpa(self, ns):
        app = self.pick(APPS)
        return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                "metadata": self.metadata(self.name(app), ns, self.labels(app, "autoscaler", False)),
                "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": app},
                         "minReplicas": 2, "maxReplicas": self.r.randint(4, 50),
                         "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                             "type": "Utilization", "averageUtilization": self.pick([60, 70, 80])}}}]}}

    def pdb(self, ns):
        app = self.pick(APPS + INFRA)
        return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "metadata": self.metadata(self.name(app), ns, self.labels(app, "pdb", False)),
                "spec": {"minAvailable": self.pick([1, Quoted("50%")]),
                         "selector": {"matchLabels": {"app.kubernetes.io/name": app}}}}

    def cronjob(self, ns):
        # Has a pod template too, but is not a default target kind.
        app = self.pick(APPS)
        name = self.name(f"{app}-nightly")
        tmpl = {"metadata": {"annotations": {"sidecar.istio.io/inject": Quoted("false")}},
                "spec": self.pod_spec(app, "CronJob")}
        tmpl["spec"]["restartPolicy"] = "OnFailure"
        return {"apiVersion": "batch/v1", "kind": "CronJob",
                "metadata": self.metadata(name, ns, self.labels(app, "batch", False)),
                "spec": {"schedule": Quoted("0 3 * * *"), "concurrencyPolicy": "Forbid",
                         "jobTemplate": {"spec": {"backoffLimit": 2, "template": tmpl}}}}

    def role(self, ns):
        app = self.pick(APPS + INFRA)
        return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                "metadata": self.metadata(self.name(app), ns, self.labels(app, "rbac", False)),
                "rules": [{"apiGroups": Flow([""]), "resources": Flow(["configmaps", "secrets"]),
                           "verbs": Flow(["get", "list", "watch"])},
                          {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "patch"]}]}

    # (weight, builder). Workloads: 25 + 9 + 6 = 40 of 100.
    KINDS = [
        (25, "Deployment"), (9, "StatefulSet"), (6, "DaemonSet"),
        (18, "Service"), (14, "ConfigMap"), (8, "Secret"), (5, "ServiceAccount"),
        (4, "Ingress"), (3, "HorizontalPodAutoscaler"), (3, "PodDisruptionBudget"),
        (3, "CronJob"), (2, "Role"),
    ]
    WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")

    def document(self):
        """Returns (kind, YAML text of one document without separator)."""
        kind = self.r.choices([k for _, k in self.KINDS], weights=[w for w, _ in self.KINDS])[0]
        ns = None if self.chance(0.2) else self.pick(NAMESPACES)
        if kind in self.WORKLOADS:
            doc = self.workload(kind, ns)
        else:
            doc = {
                "Service": self.service, "ConfigMap": self.configmap, "Secret": self.secret,
                "ServiceAccount": self.service_account, "Ingress": self.ingress,
                "HorizontalPodAutoscaler": self.hpa, "PodDisruptionBudget": self.pdb,
                "CronJob": self.cronjob, "Role": self.role,
            }[kind](ns)
        # kubectl/kustomize output uses indentless sequences; hand-written
        # and helm-rendered manifests mostly indent them.
        seq_indent = 0 if self.chance(0.4) else 2
        text = emit(doc, seq_indent)
        head = ""
        if self.chance(0.25):
            head = f"# Source: {doc['metadata']['name'].rsplit('-', 1)[0]}/templates/{kind.lower()}.yaml\n"
        elif self.chance(0.1):
            head = f"# {self.comment(kind.lower())}\n"
        return kind, head + text


def write_stream(gen, out, size_bytes, stats):
    """Writes documents separated by `---` until at least size_bytes."""
    written = 0
    first = True
    while written < size_bytes:
        parts = []
        if first:
            parts.append("# Generated by bench/gen.py: synthetic manifests for benchmarking.\n")
        elif gen.chance(0.02):
            # An empty document (only a comment), as helm renders for a
            # disabled template.
            parts.append("---\n# Source: chart/templates/disabled.yaml\n")
        if not first:
            parts.append("---\n")
        kind, text = gen.document()
        parts.append(text)
        chunk = "".join(parts).encode("utf-8")
        out.write(chunk)
        written += len(chunk)
        stats["documents"] += 1
        stats["workloads"] += kind in Gen.WORKLOADS
        first = False
    stats["bytes"] += written


def write_tree(gen, root, files, stats):
    """Writes `files` manifests under root, laid out like a GitOps repo:
    team/app/{base,overlays/ENV}/NAME.yaml."""
    i = 0
    while i < files:
        team = gen.pick(TEAMS)
        app = gen.name(gen.pick(APPS + INFRA))
        for sub in ["base"] + [f"overlays/{e}" for e in ENVS[: gen.r.randint(0, 4)]]:
            d = os.path.join(root, team, app, *sub.split("/"))
            os.makedirs(d, exist_ok=True)
            for j in range(gen.r.randint(1, 6)):
                if i >= files:
                    return
                docs = []
                kinds = []
                for _ in range(gen.r.choice([1, 1, 1, 2, 2, 3])):
                    kind, text = gen.document()
                    docs.append(text)
                    kinds.append(kind)
                body = "---\n".join(docs)
                if gen.chance(0.3):
                    body = "---\n" + body
                data = body.encode("utf-8")
                fname = f"{j:02d}-{kinds[0].lower()}.yaml"
                with open(os.path.join(d, fname), "wb") as f:
                    f.write(data)
                stats["files"] += 1
                stats["documents"] += len(kinds)
                stats["workloads"] += sum(k in Gen.WORKLOADS for k in kinds)
                stats["bytes"] += len(data)
                i += 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("stream", help="one multi-document stream of about N MB (10^6 bytes)")
    s.add_argument("--size-mb", type=float, required=True)
    t = sub.add_parser("tree", help="a directory tree of small manifest files")
    t.add_argument("--files", type=int, required=True)
    for p in (s, t):
        p.add_argument("--seed", type=int, default=42)
        p.add_argument("-o", "--output", required=True, help="output file (stream) or directory (tree); '-' is stdout for a stream")
        p.add_argument("--stats", help="also write counts (documents, workloads, bytes) as JSON here")
    args = ap.parse_args(argv)

    gen = Gen(args.seed)
    stats = {"documents": 0, "workloads": 0, "bytes": 0}
    if args.mode == "stream":
        size = int(args.size_mb * 1_000_000)
        if args.output == "-":
            write_stream(gen, sys.stdout.buffer, size, stats)
        else:
            with open(args.output, "wb") as f:
                write_stream(gen, f, size, stats)
    else:
        if os.path.exists(args.output) and os.listdir(args.output):
            ap.error(f"{args.output} exists and is not empty")
        stats["files"] = 0
        write_tree(gen, args.output, args.files, stats)
    if args.stats:
        with open(args.stats, "w", encoding="utf-8", newline="\n") as f:
            json.dump(stats, f, indent=2, sort_keys=True)
            f.write("\n")
    print(json.dumps(stats, sort_keys=True), file=sys.stderr)


if __name__ == "__main__":
    main()

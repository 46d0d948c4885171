"""The Kubernetes manifests of each service (deploy/kubernetes/<service>.yaml), written by
`scripts/generate.py`.

One file per service, so that a partner applies only theirs (`kubectl apply -n <namespace> -f
deploy/kubernetes/training.yaml`) with its own database and Kafka principal. The test command
checks every manifest against Kubernetes' own schema (kubernetes-validate, strict). What each
setting means is in deploy/kubernetes/README.md.
"""

from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
VERSION = "0.1.0"
PARTITIONS = 6
"""Partitions per topic: the most consumer-group members that get work (scripts and settings default)."""
GRACE_S = 60
"""Longer than uvicorn's 20 s graceful stop plus the consumer finishing its event and the relay its batch."""
RESOURCES = {
    "reporting": {"requests": {"cpu": "250m", "memory": "384Mi"}, "limits": {"memory": "1Gi"}},
}
DEFAULT_RESOURCES = {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}}


def manifests(service: str, port: int) -> list[dict[str, Any]]:
    name = f"w4l-{service}"
    prefix = f"W4L_{service.upper()}_"
    labels = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/part-of": "work4life",
        "app.kubernetes.io/component": service,
    }
    selector = {"app.kubernetes.io/name": name}
    config = {
        "ENVIRONMENT": "production",
        "ORGANISATION": "CHANGE-ME",
        "HTTP_HOST": "0.0.0.0",
        "HTTP_PORT": str(port),
        "LOG_JSON": "true",
        # Three brokers or more, replication 3, min.insync.replicas 2: docs/KAFKA.md.
        "KAFKA_BOOTSTRAP_SERVERS": "kafka-0.kafka.example.org:9093,kafka-1.kafka.example.org:9093,kafka-2.kafka.example.org:9093",
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": name,
        "KAFKA_SSL_CAFILE": "/etc/work4life/kafka/ca.crt",
        "TOPIC_PARTITIONS": str(PARTITIONS),
        "TOPIC_REPLICATION_FACTOR": "3",
        "AUTH_ISSUER": "https://id.example.org/realms/work4life",
        "AUTH_JWKS_URL": "https://id.example.org/realms/work4life/protocol/openid-connect/certs",
    }
    http_probe = lambda path, **extra: {"httpGet": {"path": path, "port": "http"}, **extra}  # noqa: E731
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": 2,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(port),
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": {
                    "serviceAccountName": name,
                    "automountServiceAccountToken": False,
                    "terminationGracePeriodSeconds": GRACE_S,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 10001,
                        "fsGroup": 10001,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [
                        {
                            "name": service,
                            "image": f"work4life/{service}:{VERSION}",
                            "imagePullPolicy": "IfNotPresent",
                            "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
                            "envFrom": [
                                {"configMapRef": {"name": f"{name}-config"}, "prefix": prefix},
                                {"secretRef": {"name": f"{name}-secrets"}, "prefix": prefix},
                            ],
                            "startupProbe": http_probe("/health", periodSeconds=2, failureThreshold=60),
                            "livenessProbe": http_probe(
                                "/health", periodSeconds=10, timeoutSeconds=3, failureThreshold=3
                            ),
                            "readinessProbe": http_probe(
                                "/ready", periodSeconds=5, timeoutSeconds=3, failureThreshold=2
                            ),
                            # Leave the load balancer before SIGTERM, so no request arrives during the stop.
                            "lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}}},
                            "resources": RESOURCES.get(service, DEFAULT_RESOURCES),
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]},
                            },
                            "volumeMounts": [
                                {"name": "kafka-ca", "mountPath": "/etc/work4life/kafka", "readOnly": True},
                                {"name": "state", "mountPath": "/srv/state"},
                                {"name": "tmp", "mountPath": "/tmp"},
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "kafka-ca", "secret": {"secretName": "w4l-kafka-ca", "optional": True}},
                        {"name": "state", "emptyDir": {}},
                        {"name": "tmp", "emptyDir": {}},
                    ],
                },
            },
        },
    }
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": name, "labels": labels},
            "automountServiceAccountToken": False,
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"{name}-config", "labels": labels},
            "data": config,
        },
        deployment,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "selector": selector,
                "ports": [{"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}],
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "labels": labels},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": selector}},
        },
        {
            # More consumers than partitions would sit idle: at most one replica per partition.
            # The lag metric reaches the HPA through an external-metrics adapter (prometheus-adapter).
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                "minReplicas": 2,
                "maxReplicas": PARTITIONS,
                "metrics": [
                    {
                        "type": "External",
                        "external": {
                            "metric": {
                                "name": "w4l_consumer_lag_messages",
                                "selector": {"matchLabels": {"service": service}},
                            },
                            "target": {"type": "AverageValue", "averageValue": "500"},
                        },
                    },
                    {
                        "type": "Resource",
                        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 75}},
                    },
                ],
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},
            },
        },
    ]


def render(service: str, port: int) -> str:
    header = (
        f"# Work4Life {service}: generated by scripts/generate.py from deploy/kubernetes/manifests.py (do not edit by hand).\n"
        f"# Before applying: create the Secret w4l-{service}-secrets (DATABASE_URL, KAFKA_SASL_PASSWORD) and\n"
        f"# set ORGANISATION, Kafka and the identity provider in the ConfigMap; see deploy/kubernetes/README.md.\n"
    )
    return header + yaml.safe_dump_all(manifests(service, port), sort_keys=False, width=120)


def files(services: dict[str, int]) -> dict[Path, str]:
    return {HERE / f"{service}.yaml": render(service, port) for service, port in services.items()}

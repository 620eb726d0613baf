"""A small Kustomize: exactly the features TripBot's manifests use, to render them offline.

resources (files and directories), components, configMapGenerator (files, without the name
hash), namespace, labels (metadata only), images, replicas and JSON 6902 patches.
``kubectl kustomize`` renders the same (a test compares them when it is here).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

Document = dict[str, Any]
SCALABLE = {"Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"}
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "PersistentVolume",
    "StorageClass",
}


def load_documents(path: Path) -> list[Document]:
    """Every YAML document of a file."""
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def render(directory: Path) -> list[Document]:
    """The manifests a kustomization directory stands for."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - {
        "apiVersion",
        "kind",
        "resources",
        "namespace",
        "labels",
        "images",
        "replicas",
        "patches",
        "components",
        "configMapGenerator",
    }
    assert not unknown, f"{directory}: this renderer does not know {unknown}"
    documents: list[Document] = []
    for entry in kustomization.get("resources", []):
        path = directory / entry
        documents += render(path) if path.is_dir() else load_documents(path)
    documents = copy.deepcopy(documents)
    for generator in kustomization.get("configMapGenerator", []):
        documents.append(_config_map(directory, generator))
    for component in kustomization.get("components", []):
        documents += render(directory / component)
    for patch in kustomization.get("patches", []):
        _patch(documents, patch)
    for label in kustomization.get("labels", []):
        assert not label.get("includeSelectors", False), "only metadata labels are supported"
        for doc in documents:
            doc["metadata"].setdefault("labels", {}).update(label["pairs"])
    if "namespace" in kustomization:
        for doc in documents:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = kustomization["namespace"]
    for image in kustomization.get("images", []):
        for container in _containers(documents):
            if container["image"].split("@")[0].split(":")[0] == image["name"]:
                name = image.get("newName", image["name"])
                if "digest" in image:
                    container["image"] = f"{name}@{image['digest']}"
                else:
                    container["image"] = f"{name}:{image['newTag']}" if "newTag" in image else name
    for replicas in kustomization.get("replicas", []):
        targets = [
            d
            for d in documents
            if d["metadata"]["name"] == replicas["name"] and d["kind"] in SCALABLE
        ]
        assert targets, f"no resource {replicas['name']} to set replicas of"
        for doc in targets:
            doc["spec"]["replicas"] = replicas["count"]
    return documents


def _containers(documents: list[Document]) -> list[dict[str, Any]]:
    found = []
    for doc in documents:
        pod = doc.get("spec", {}).get("template", {}).get("spec", {})
        found += pod.get("initContainers", []) + pod.get("containers", [])
    return found


def _patch(documents: list[Document], patch: dict[str, Any]) -> None:
    target = patch["target"]
    matches = [
        doc
        for doc in documents
        if doc["kind"] == target["kind"] and doc["metadata"]["name"] == target["name"]
    ]
    assert len(matches) == 1, f"patch target {target} matches {len(matches)} resources"
    for operation in yaml.safe_load(patch["patch"]):
        _apply(matches[0], operation)


def _config_map(directory: Path, generator: dict[str, Any]) -> Document:
    """A ConfigMap made from files, as configMapGenerator makes it (without its name hash)."""
    options = generator.get("options", {})
    assert options.get("disableNameSuffixHash"), "only generators without a name hash"
    metadata: dict[str, Any] = {"name": generator["name"]}
    if options.get("labels"):
        metadata["labels"] = dict(options["labels"])
    data = {Path(f).name: (directory / f).read_text() for f in generator.get("files", [])}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data}


def _apply(document: Document, operation: dict[str, Any]) -> None:
    """One JSON 6902 operation (add, replace or remove) on a document."""
    *parents, last = [
        part.replace("~1", "/").replace("~0", "~") for part in operation["path"].split("/")[1:]
    ]
    node: Any = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) and last != "-" else last
    if operation["op"] == "remove":
        del node[key]
    elif operation["op"] == "replace":
        assert (key in node) if isinstance(node, dict) else key < len(node), operation
        node[key] = operation["value"]
    elif operation["op"] == "add":
        if isinstance(node, list):
            node.insert(len(node) if key == "-" else key, operation["value"])
        else:
            node[key] = operation["value"]
    else:
        raise AssertionError(f"unsupported patch operation {operation['op']}")

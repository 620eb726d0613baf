"""deploy/docker/Dockerfile: hadolint's rules, and ours (pinned bases, non-root, a health check
without curl, no secrets, a build context of only what the build reads)."""

from __future__ import annotations

import fnmatch
import re
import subprocess

from tests.deploy.conftest import DEPLOY, ROOT, tool

DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
DIGEST = re.compile(r"^[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}$")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|PRIVATE|CREDENTIAL", re.I)


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def stages() -> list[list[tuple[str, str]]]:
    """The instructions of each stage (the global ARGs before the first FROM dropped)."""
    result: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions():
        if keyword == "FROM":
            result.append([])
        if result:
            result[-1].append((keyword, rest))
    return result


def global_args() -> dict[str, str]:
    """ARG defaults declared before the first FROM."""
    args = {}
    for keyword, rest in instructions():
        if keyword == "FROM":
            break
        if keyword == "ARG" and "=" in rest:
            name, _, value = rest.partition("=")
            args[name] = value
    return args


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run(
        [tool("hadolint"), "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_base_image_is_pinned_by_digest() -> None:
    args = global_args()
    for stage in stages():
        image = stage[0][1].split()[0]
        resolved = re.sub(r"\$\{(\w+)\}", lambda m: args[m[1]], image)
        assert DIGEST.match(resolved), resolved
    assert args["PYTHON_IMAGE"].startswith("python:3.11")


def test_the_runtime_runs_as_an_unprivileged_user_with_a_health_check() -> None:
    final = stages()[-1]
    assert final[0][1] == "${PYTHON_IMAGE}"  # the venv's interpreter path is the same
    users = [rest for keyword, rest in final if keyword == "USER"]
    assert users
    assert users[-1] == "10001:10001"
    last_user = max(i for i, (keyword, _) in enumerate(final) if keyword == "USER")
    assert all(keyword != "RUN" for keyword, _ in final[last_user:])
    (healthcheck,) = [rest for keyword, rest in final if keyword == "HEALTHCHECK"]
    assert '["python", "-c"' in healthcheck
    assert "urllib" in healthcheck
    assert not re.search(r"\b(curl|wget)\b", healthcheck)
    assert ("ENTRYPOINT", '["tripbot"]') in final
    assert ("EXPOSE", "8000") in final


def test_no_secret_is_baked_in() -> None:
    for keyword, rest in instructions():
        if keyword in ("ENV", "ARG", "LABEL"):
            names = re.findall(r"(\w+)=", rest) or [rest.split()[0]]
            assert not any(SECRET_NAME.search(name) for name in names), rest
        if keyword in ("COPY", "ADD"):
            assert not re.search(r"\.env\b|\.pem\b|id_rsa|id_ed25519|secrets", rest), rest
            assert "://" not in rest, rest


def test_the_build_context_holds_only_what_the_build_copies() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*"  # everything is out unless named

    def included(path: str) -> bool:
        verdict = False
        for pattern in patterns:
            negated = pattern.startswith("!")
            bare = pattern.lstrip("!").rstrip("/")
            if fnmatch.fnmatch(path, bare) or path.startswith(bare + "/"):
                verdict = negated
        return verdict

    copied = [
        source
        for keyword, rest in instructions()
        if keyword == "COPY" and not rest.startswith("--from")
        for source in rest.split()[:-1]
    ]
    assert copied
    for source in copied:
        assert included(source.rstrip("/")), source
    for private in (".env", "deploy/.env", ".git/config", "var/events.db", ".venv/bin/python"):
        assert not included(private), private


def test_the_image_carries_the_licence() -> None:
    final = stages()[-1]
    assert ("COPY", "LICENSE /usr/share/doc/tripbot/LICENSE") in final
    build = stages()[1]
    assert any(k == "COPY" and "LICENSE" in rest.split()[:-1] for k, rest in build), build

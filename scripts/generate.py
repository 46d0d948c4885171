"""Writes every generated file of the repository, or checks that the committed ones are current.

    uv run python scripts/generate.py           # write them all
    uv run python scripts/generate.py --check   # exit 1 naming each file that differs (the test command runs it)

| generator | writes |
|---|---|
| deploy/docker/dockerfiles.py | services/<service>/Dockerfile |
| deploy/kubernetes/manifests.py | deploy/kubernetes/<service>.yaml |
| deploy/grafana/dashboards.py | deploy/grafana/dashboards/*.json |
| scripts/asyncapi.py | docs/asyncapi/ (each service's AsyncAPI document, the combined one, the channel catalogue) |
| scripts/counting_rules.py | the counting rules in services/reporting/README.md (between its markers) |

Edit the generator, never its output: the check fails on a hand edit as on a forgotten run.
"""

import argparse
import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
GENERATORS = (
    "deploy/docker/dockerfiles.py",
    "deploy/kubernetes/manifests.py",
    "deploy/grafana/dashboards.py",
    "scripts/asyncapi.py",
    "scripts/counting_rules.py",
)


def load(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"w4l_generate_{Path(path).stem}", REPO / path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def services() -> dict[str, int]:
    """Every service under services/ and its HTTP port (from its settings), in port order: the one
    list the generators work from."""
    found = {}
    for folder in sorted((REPO / "services").iterdir()):
        if not (folder / "pyproject.toml").exists():
            continue
        config = importlib.import_module(f"work4life.{folder.name}.config")
        settings = next(
            v for n, v in vars(config).items() if n.endswith("Settings") and v.__module__ == config.__name__
        )
        found[folder.name] = settings.model_fields["http_port"].default
    return dict(sorted(found.items(), key=lambda item: item[1]))


def generated() -> dict[Path, tuple[str, str]]:
    """Every generated file: path -> (text, generator)."""
    out: dict[Path, tuple[str, str]] = {}
    every_service = services()
    for generator in GENERATORS:
        for path, text in load(generator).files(every_service).items():
            out[path] = (text, generator)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 when a committed file differs")
    args = parser.parse_args(argv)
    files = generated()
    if args.check:
        stale = [(p, g) for p, (text, g) in files.items() if not p.exists() or p.read_text() != text]
        for path, generator in stale:
            print(f"{path.relative_to(REPO)} differs from {generator}", file=sys.stderr)
        if stale:
            print("run `uv run python scripts/generate.py` and commit the result", file=sys.stderr)
            return 1
        print(f"{len(files)} generated files are current")
        return 0
    for path, (text, _) in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    print(f"wrote {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())

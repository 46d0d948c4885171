"""`w4l-contracts generate|check`: keep the committed JSON Schemas in step with the models."""

import argparse
import json
import sys
from pathlib import Path

from . import compatibility, schemas


def find_schemas_dir(start: Path) -> Path:
    for folder in (start, *start.parents):
        candidate = folder / "contracts" / "schemas"
        if candidate.is_dir():
            return candidate
    raise SystemExit(f"no contracts/schemas folder above {start}; pass --schemas-dir")


def check(schemas_dir: Path) -> tuple[list[str], list[str]]:
    """Problems that fail the check, and warnings."""
    problems: list[str] = []
    warnings: list[str] = []
    current = schemas.generated()
    for name, old_text in schemas.committed(schemas_dir).items():
        if name not in current:
            problems.append(f"{name}: a published event version is gone from the contracts (breaking)")
            continue
        report = compatibility.compare(json.loads(old_text), json.loads(current[name]))
        problems += [f"{name}: {line} (breaking)" for line in report.breaking]
        warnings += [f"{name}: {line}" for line in report.warnings]
        if not report.breaking and old_text != current[name]:
            problems.append(
                f"{name}: committed schema is out of date (compatible change): run `w4l-contracts generate`"
            )
    for name in sorted(set(current) - set(schemas.committed(schemas_dir))):
        problems.append(f"{name}: new event version has no committed schema: run `w4l-contracts generate`")
    return problems, warnings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="w4l-contracts", description=__doc__)
    parser.add_argument("command", choices=["generate", "check"])
    parser.add_argument("--schemas-dir", type=Path, help="default: contracts/schemas above the current folder")
    args = parser.parse_args(argv)
    schemas_dir = args.schemas_dir or find_schemas_dir(Path.cwd())
    if args.command == "generate":
        written = schemas.write(schemas_dir)
        print(f"{len(written)} schema(s) written to {schemas_dir}" + "".join(f"\n  {n}" for n in written))
        return 0
    problems, warnings = check(schemas_dir)
    for line in warnings:
        print(f"warning: {line}")
    for line in problems:
        print(f"error: {line}")
    if problems:
        print(f"contracts check failed: {len(problems)} problem(s)")
        return 1
    print(f"contracts check passed: {len(schemas.generated())} event schema(s) compatible and up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())

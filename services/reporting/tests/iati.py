"""The IATI 2.03 activity schema, for the tests that validate reporting's IATI file.

Where it comes from: the XSDs of the IATI Standard's release 2.03 (2018-02-19: iati-activities-
schema.xsd, iati-common.xsd, xml.xsd), as the IATI Technical Team's own Python package pyIATI 0.4.1
ships them on PyPI (`iati/resources/standard/2-03/schemas/`). The sdist is fetched from PyPI once,
checked against its pinned SHA-256, and the three files are kept in the cache
(`W4L_CACHE_DIR`, default ~/.cache/work4life). Nothing of it is committed here."""

import hashlib
import io
import os
import tarfile
import urllib.request
from pathlib import Path

SDIST = (
    "https://files.pythonhosted.org/packages/d3/50/ec9cb99b3fc19b7ab86222a24589866b76fed32ed9009590749afb1743d7/"
    "pyIATI-0.4.1.tar.gz"
)
SHA256 = "b6f8f0d596746bd774ed3e84cdad50dfa7dd501ac70e6399f2bb0244bfd5b0ef"
FILES = ("iati-activities-schema.xsd", "iati-common.xsd", "xml.xsd")
INSIDE = "pyIATI-0.4.1/iati/resources/standard/2-03/schemas/"


def activity_schema() -> Path:
    """The path of iati-activities-schema.xsd 2.03 (its two companions beside it), fetched if need be."""
    folder = Path(os.environ.get("W4L_CACHE_DIR", Path.home() / ".cache" / "work4life")) / "iati-2.03"
    if not all((folder / name).is_file() for name in FILES):
        with urllib.request.urlopen(SDIST, timeout=120) as answer:
            sdist = answer.read()
        found = hashlib.sha256(sdist).hexdigest()
        assert found == SHA256, f"pyIATI 0.4.1 from PyPI has SHA-256 {found}, not the pinned {SHA256}"
        folder.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(sdist)) as archive:
            for name in FILES:
                member = archive.extractfile(INSIDE + name)
                assert member is not None, name
                (folder / name).write_bytes(member.read())
    return folder / "iati-activities-schema.xsd"

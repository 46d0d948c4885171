"""The setup waits when another program holds the package manager's lock, instead of giving up
(apt-get exits at once with "Could not get lock"). Driven with a stand-in apt-get on PATH."""

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_apt_install(tmp_path: Path, fake_apt: str, wait_s: int = 60) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "apt-get").write_text(fake_apt)
    (bin_dir / "sudo").write_text('#!/bin/bash\nexec "$@"\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    script = f'source "{REPO}/scripts/apt.sh"; apt_install chromium'
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "W4L_APT_RETRY_S": "0.1",
        "W4L_APT_LOCK_WAIT_S": str(wait_s),
        "CALLS": str(tmp_path / "calls"),
    }
    return subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)


LOCKED_TWICE = """#!/bin/bash
echo "$*" >> "$CALLS"
n=$(wc -l < "$CALLS")
if [[ $n -le 2 ]]; then
  echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)" >&2
  exit 100
fi
exit 0
"""


def test_a_held_lock_is_waited_for_and_the_install_goes_through(tmp_path):
    result = run_apt_install(tmp_path, LOCKED_TWICE)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("holds the package manager's lock; waiting") == 2
    calls = (tmp_path / "calls").read_text().splitlines()
    assert "DPkg::Lock::Timeout=60" in calls[0]  # apt itself waits too
    assert calls[-1].endswith("install -y chromium") and calls[-2].endswith("update")


def test_any_other_failure_stops_at_once_with_apt_s_message(tmp_path):
    broken = '#!/bin/bash\necho "$*" >> "$CALLS"\necho "E: Unable to locate package chromium" >&2\nexit 100\n'
    result = run_apt_install(tmp_path, broken)
    assert result.returncode == 100
    assert "Unable to locate package chromium" in result.stderr
    assert len((tmp_path / "calls").read_text().splitlines()) == 1


def test_a_lock_held_for_longer_than_the_wait_is_reported(tmp_path):
    always_locked = (
        '#!/bin/bash\necho x >> "$CALLS"\necho "E: Could not get lock /var/lib/apt/lists/lock" >&2\nexit 100\n'
    )
    result = run_apt_install(tmp_path, always_locked, wait_s=0)
    assert result.returncode == 100 and "Could not get lock" in result.stderr

#!/usr/bin/env bash
# apt_install PACKAGE...: install Debian packages, waiting for the package manager's lock.
#
# Another program (unattended-upgrades, a second test run, a person) may hold dpkg's or the
# package lists' lock; apt-get then exits at once with "Could not get lock". Here apt waits for
# the lock itself (DPkg::Lock::Timeout), and the whole step is tried again while a lock is still
# the reason, for up to W4L_APT_LOCK_WAIT_S seconds (default 900). Any other failure stops at once.
# Sourced by scripts/setup.sh and the deploy/ scripts that install what they run.

apt_install() {
  local sudo="" wait_s="${W4L_APT_LOCK_WAIT_S:-900}" started=$SECONDS output status
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "[apt] installing $* from Debian's packages" >&2
  local options=(-o "DPkg::Lock::Timeout=60" -qq)
  while true; do
    status=0
    output="$( { DEBIAN_FRONTEND=noninteractive $sudo apt-get "${options[@]}" update &&
                DEBIAN_FRONTEND=noninteractive $sudo apt-get "${options[@]}" install -y "$@"; } 2>&1 >/dev/null)" || status=$?
    [[ $status == 0 ]] && return 0
    if grep -qiE "could not get lock|unable to acquire the dpkg frontend lock|is another process using it" <<<"$output" &&
       (( SECONDS - started < wait_s )); then
      echo "[apt] another program holds the package manager's lock; waiting ($(( SECONDS - started )) s so far)" >&2
      sleep "${W4L_APT_RETRY_S:-10}"
      continue
    fi
    echo "$output" >&2
    return "$status"
  done
}

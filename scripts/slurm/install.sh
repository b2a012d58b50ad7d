# Sourced by scripts/slurm-up: installs Debian's Slurm, munge and MariaDB packages when missing,
# without letting their maintainer scripts start any system service.

SLURM_LAB_PACKAGES=(slurmctld slurmd slurm-client slurmrestd slurm-wlm-jwt-plugin munge slurmdbd mariadb-server)

lab_missing_packages() {
  local pkg missing=()
  for pkg in "${SLURM_LAB_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
      missing+=("$pkg")
    fi
  done
  echo "${missing[@]}"
}

lab_install_packages() {
  local missing
  missing=$(lab_missing_packages)
  [[ -z "$missing" ]] && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "slurm-up: missing packages ($missing) and not root: install them first" >&2
    return 1
  fi
  echo "slurm-up: installing $missing"
  # A policy-rc.d that refuses every service start; an existing one is put back afterwards.
  local policy=/usr/sbin/policy-rc.d backup=""
  if [[ -e "$policy" ]]; then
    backup=$(mktemp /tmp/policy-rc.d.XXXXXX)
    cp -p "$policy" "$backup"
  fi
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  local status=0
  # shellcheck disable=SC2086
  (
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-cache show $missing >/dev/null 2>&1 || [[ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e '^lock$' -e '^partial$' -e '^auxfiles$')" ]]; then
      apt-get update -qq
    fi
    apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null; }
  ) || status=$?
  if [[ -n "$backup" ]]; then
    mv -f "$backup" "$policy"
  else
    rm -f "$policy"
  fi
  return $status
}

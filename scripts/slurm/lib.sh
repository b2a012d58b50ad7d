# Sourced by scripts/slurm-up and scripts/slurm-down: the lab's PID records.
#
# Every daemon the lab starts is recorded as DIR/pids/<name>.pid holding "<pid> <absolute executable>" (the
# daemon is started by that path, so its command line begins with it): stopping it never signals a process that
# merely reused the number.

# True when PID runs (a zombie, state Z, counts as stopped) and is the executable named in the record.
lab_pid_alive() {
  local pid=$1 exe=${2:-}
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/stat ]] || return 1
  local stat state
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  # The state follows the command name in parentheses, which may itself hold spaces.
  state=${stat##*) }
  state=${state%% *}
  [[ "$state" == Z || "$state" == X ]] && return 1
  if [[ -n "$exe" ]]; then
    local comm
    comm=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ "$comm" == "$exe "* || "$comm" == "$exe" ]] || return 1
  fi
  return 0
}

# Reads DIR/pids/NAME.pid; prints "pid exe" or nothing.
lab_pid_record() {
  local file="$1/pids/$2.pid"
  [[ -r "$file" ]] && cat "$file"
  return 0
}

# True when the daemon recorded as NAME runs.
lab_daemon_alive() {
  local rec pid exe
  rec=$(lab_pid_record "$1" "$2")
  [[ -n "$rec" ]] || return 1
  read -r pid exe <<<"$rec"
  lab_pid_alive "$pid" "$exe"
}

# Stops the daemon recorded as NAME: SIGTERM, then SIGKILL after a grace period. Removes the record.
lab_stop_daemon() {
  local dir=$1 name=$2 grace=${3:-15}
  local rec pid exe
  rec=$(lab_pid_record "$dir" "$name")
  if [[ -z "$rec" ]]; then return 0; fi
  read -r pid exe <<<"$rec"
  if lab_pid_alive "$pid" "$exe"; then
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < grace * 10; i++)); do
      lab_pid_alive "$pid" "$exe" || break
      sleep 0.1
    done
    if lab_pid_alive "$pid" "$exe"; then
      echo "slurm-down: $name (pid $pid) did not stop in ${grace}s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        lab_pid_alive "$pid" "$exe" || break
        sleep 0.1
      done
    fi
    echo "stopped $name (pid $pid)"
  fi
  rm -f "$dir/pids/$name.pid"
}

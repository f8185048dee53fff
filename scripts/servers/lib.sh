# Helpers shared by the server scripts. Source it; it defines functions only.

# Prints a message to stderr with the script's name.
log() { echo "[$(basename "$0")] $*" >&2; }

# Prints the message and exits non-zero.
die() { log "ERROR: $*"; exit 1; }

# Prints a TCP port on 127.0.0.1 that is free right now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_until PIDFILE SECONDS DESCRIPTION COMMAND...: runs COMMAND every 0.2 s until it succeeds; fails
# loudly on timeout, or at once when the process recorded in PIDFILE has exited.
wait_until() {
  local pidfile=$1 timeout=$2 what=$3
  shift 3
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      log "the process in $pidfile exited while waiting for: $what"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      log "timed out after ${timeout}s waiting for: $what"
      return 1
    fi
    sleep 0.2
  done
}

# Starts COMMAND... in the background in its own session (so its process group can be killed as one),
# with stdout/stderr to LOGFILE, and records its pid (= process group id) in PIDFILE.
# Usage: spawn PIDFILE LOGFILE COMMAND...
spawn() {
  local pidfile=$1 logfile=$2
  shift 2
  setsid "$@" >>"$logfile" 2>&1 </dev/null &
  echo $! >"$pidfile"
}

# Stops the process groups whose leaders' pids are in the given pid files: SIGTERM, then SIGKILL after a
# short grace. Missing files and dead processes are fine.
stop_pidfiles() {
  local f pid pids=()
  for f in "$@"; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    [ -n "$pid" ] || continue
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
  done
  local deadline=$((SECONDS + 5)) alive
  while :; do
    alive=()
    for pid in "${pids[@]}"; do
      if kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null; then alive+=("$pid"); fi
    done
    ((${#alive[@]} == 0)) && break
    if ((SECONDS >= deadline)); then
      for pid in "${alive[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; done
      break
    fi
    sleep 0.1
  done
  for f in "$@"; do rm -f "$f"; done
}

# The command line every server script shares: install | start DIR | stop DIR. The script defines the functions
# install, start DIR and stop DIR. A failed start stops whatever it had started.
server_main() {
  case "${1:-}" in
    install) install ;;
    start)
      [ $# -eq 2 ] || die "usage: $0 start DIR"
      _server_dir=$2
      trap 'rc=$?; if [ $rc -ne 0 ]; then stop "$_server_dir"; fi' EXIT
      start "$_server_dir"
      ;;
    stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
    *) die "usage: $0 install | start DIR | stop DIR" ;;
  esac
}

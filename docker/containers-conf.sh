# Sourced by docker/*.sh before they run podman: unless CONTAINERS_CONF is already set, points it at a
# containers.conf that (1) runs containers with runc (crun, where installed, fails on some kernels' cgroup v1
# layout) and (2) gives them explicit limits no higher than this shell's hard limits (podman's default raises
# RLIMIT_NOFILE, which an unprivileged or nested caller may not do: "error setting rlimit type 7").
if [ -z "${CONTAINERS_CONF:-}" ]; then
  _nofile=$(ulimit -Hn); [ "$_nofile" = unlimited ] && _nofile=1048576
  _nproc=$(ulimit -Hu); [ "$_nproc" = unlimited ] && _nproc=32768
  [ "$_nofile" -gt 65536 ] && _nofile=65536
  [ "$_nproc" -gt 32768 ] && _nproc=32768
  CONTAINERS_CONF="${TMPDIR:-/tmp}/dsha-containers-$(id -u).conf"
  {
    echo '[containers]'
    echo "default_ulimits = [\"nofile=$_nofile:$_nofile\", \"nproc=$_nproc:$_nproc\"]"
    if command -v runc >/dev/null 2>&1; then
      echo '[engine]'
      echo 'runtime = "runc"'
    fi
  } >"$CONTAINERS_CONF"
  export CONTAINERS_CONF
  unset _nofile _nproc
fi
